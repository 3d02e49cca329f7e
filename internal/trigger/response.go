package trigger

import "fmt"

// Response is a custom handler's answer to an invocation (DESIGN §4). The host reads it only from a
// 2xx answer: Outputs feed the output bindings by name, Logs go to the function's log, ReturnValue
// feeds a "$return" binding (none here).
type Response struct {
	Outputs     map[string]any `json:"Outputs"`
	Logs        []string       `json:"Logs"`
	ReturnValue any            `json:"ReturnValue"`
}

// NewResponse returns a Response with empty Outputs and Logs.
func NewResponse() *Response {
	return &Response{Outputs: map[string]any{}, Logs: []string{}}
}

// SetFailures sets the output binding named binding to msgs, always sent as a JSON array of
// strings ([] when msgs is empty, never null): a lone string could be base64-decoded by the host.
func (r *Response) SetFailures(binding string, msgs []string) {
	if r.Outputs == nil {
		r.Outputs = map[string]any{}
	}
	r.Outputs[binding] = append(make([]string, 0, len(msgs)), msgs...)
}

// Failures returns the output binding named binding as strings: nil when the answer has no such
// output, an error when it is not an array of strings (what the host would mishandle).
func (r *Response) Failures(binding string) ([]string, error) {
	switch v := r.Outputs[binding].(type) {
	case nil:
		return nil, nil
	case []string:
		return v, nil
	case []any:
		out := make([]string, len(v))
		for i, item := range v {
			s, ok := item.(string)
			if !ok {
				return nil, fmt.Errorf("read Outputs.%s: element %d is %T, want a string", binding, i, item)
			}
			out[i] = s
		}
		return out, nil
	default:
		return nil, fmt.Errorf("read Outputs.%s: got %T, want an array of strings", binding, v)
	}
}

// MarshalJSON always gives a JSON object with Outputs as an object and Logs as an array, even for
// a zero Response: an empty 2xx body hangs the host.
func (r Response) MarshalJSON() ([]byte, error) {
	type plain Response // no MarshalJSON method: avoids recursion
	if r.Outputs == nil {
		r.Outputs = map[string]any{}
	}
	if r.Logs == nil {
		r.Logs = []string{}
	}
	b, err := marshal(plain(r))
	if err != nil {
		return nil, fmt.Errorf("encode handler response: %w", err)
	}
	return b, nil
}
