package audit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
)

// ErrInvalidKey is wrapped by Put's error for a record whose key Table Storage cannot hold.
var ErrInvalidKey = errors.New("invalid table key")

// IsRejected reports whether a record can never be stored as it is: the table service refused the
// request itself (HTTP 400: an entity too large, a property it cannot store) or its key is invalid.
// Anything else (an outage, a missing permission) may pass on a retry, and is classified by type and
// status, never by message.
func IsRejected(err error) bool {
	var re *azcore.ResponseError
	return errors.Is(err, ErrInvalidKey) || errors.As(err, &re) && re.StatusCode == http.StatusBadRequest
}

// IsNoTable reports whether err says the audit table does not exist: nothing was recorded yet (Put
// creates it), or the table name is wrong.
func IsNoTable(err error) bool { return hasErrorCode(err, aztables.TableNotFound) }

// hasErrorCode reports whether err carries the service error code.
func hasErrorCode(err error, code aztables.TableErrorCode) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.ErrorCode == string(code)
}

// serviceError prepares an error of the SDK for wrapping: it takes the query (which may hold a
// SAS token) out of the URL a transport error quotes, and turns a rejected transaction into the
// error of its failed operation (see transactionError).
func serviceError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, parseErr := url.Parse(ue.URL); parseErr == nil && u.RawQuery != "" {
			u.RawQuery = ""
			ue.URL = u.String()
		}
	}
	return transactionError(err)
}

// transactionError turns aztables' error for a rejected transaction into the *azcore.ResponseError
// of the operation that failed. The service answers a rejected transaction with 202 Accepted and
// the failed operation's response inside a multipart body; aztables reports the 202 alone, without
// an error code, which would hide both the cause (e.g. TableNotFound) and whether to retry. Any
// other error, or a body that does not parse, is returned as it is.
func transactionError(err error) error {
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusAccepted || re.RawResponse == nil {
		return err
	}
	failed, parseErr := failedOperation(re.RawResponse)
	if parseErr != nil {
		return err
	}
	return runtime.NewResponseError(failed)
}

// failedOperation finds the first response with an error status in a transaction's answer: a
// multipart/mixed batch response holding one multipart/mixed changeset response.
func failedOperation(resp *http.Response) (*http.Response, error) {
	body, err := runtime.Payload(resp)
	if err != nil {
		return nil, err
	}
	changeset, err := firstPart(resp.Header.Get("Content-Type"), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	operations, err := multipartReader(changeset.Header.Get("Content-Type"), changeset)
	if err != nil {
		return nil, err
	}
	for {
		part, err := operations.NextPart()
		if err != nil {
			return nil, fmt.Errorf("no failed operation in transaction response: %w", err)
		}
		op, err := http.ReadResponse(bufio.NewReader(part), resp.Request)
		if err != nil {
			return nil, err
		}
		if op.StatusCode < 400 {
			continue
		}
		opBody, err := io.ReadAll(op.Body)
		if err != nil {
			return nil, err
		}
		op.Body = io.NopCloser(bytes.NewReader(opBody))
		return op, nil
	}
}

func firstPart(contentType string, r io.Reader) (*multipart.Part, error) {
	mr, err := multipartReader(contentType, r)
	if err != nil {
		return nil, err
	}
	return mr.NextPart()
}

func multipartReader(contentType string, r io.Reader) (*multipart.Reader, error) {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, err
	}
	if params["boundary"] == "" {
		return nil, fmt.Errorf("content type %q has no boundary", contentType)
	}
	return multipart.NewReader(r, params["boundary"]), nil
}
