package audit

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
)

// storageConnection is what a storage connection string says about the table service.
type storageConnection struct {
	// endpoint is the table service URL, without a query.
	endpoint string
	// account and key are the shared key; both empty with a SAS.
	account, key string
	// sas is the SharedAccessSignature, without a leading '?'.
	sas string
}

// parseConnectionString reads an Azure Storage connection string for the table service. aztables'
// own parser needs AccountName even with a SAS (the portal's SAS connection strings have none), and
// with a SAS ignores TableEndpoint and EndpointSuffix, so that a SAS could not reach Azurite, a
// sovereign cloud or a private endpoint; it also takes any TableEndpoint, so that a garbled one shows
// only on the first write.
//
// Keys are case-insensitive. The table service is TableEndpoint when given, else
// DefaultEndpointsProtocol://AccountName.table.EndpointSuffix (https, core.windows.net). The
// credential is AccountKey (with AccountName) or SharedAccessSignature. "UseDevelopmentStorage=true"
// is Azurite's development account on 127.0.0.1:10002. Errors name the part that is wrong and never
// quote a value.
func parseConnectionString(s string) (storageConnection, error) {
	fail := func(format string, args ...any) (storageConnection, error) {
		return storageConnection{}, fmt.Errorf("connection string: "+format+" (values are not shown: they may hold a key)", args...)
	}
	kv := map[string]string{}
	for i, part := range strings.Split(s, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || k == "" {
			return fail("part %d is not KEY=VALUE", i+1)
		}
		if _, dup := kv[k]; dup {
			return fail("%s is given twice", k)
		}
		kv[k] = strings.TrimSpace(v)
	}
	if strings.EqualFold(kv["usedevelopmentstorage"], "true") {
		return storageConnection{endpoint: developmentTableEndpoint, account: DevelopmentAccountName, key: DevelopmentAccountKey}, nil
	}
	c := storageConnection{account: kv["accountname"], key: kv["accountkey"], sas: strings.TrimPrefix(kv["sharedaccesssignature"], "?")}
	switch {
	case c.key != "" && c.sas != "":
		return fail("AccountKey and SharedAccessSignature are both set; keep one")
	case c.key != "":
		if c.account == "" {
			return fail("AccountKey needs AccountName")
		}
		if _, err := base64.StdEncoding.DecodeString(c.key); err != nil {
			return fail("AccountKey is not base64")
		}
	case c.sas != "":
		if q, err := url.ParseQuery(c.sas); err != nil || q.Get("sig") == "" {
			return fail("SharedAccessSignature is not a SAS token (sv=...&sig=...)")
		}
	default:
		return fail("no credential: give AccountName and AccountKey, or SharedAccessSignature (or use the setting's __tableServiceUri form with a managed identity)")
	}
	if e, ok := kv["tableendpoint"]; ok {
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.User != nil {
			return fail("TableEndpoint is not an http(s) URL with a host and without a query")
		}
		c.endpoint = strings.TrimRight(u.String(), "/")
		return c, nil
	}
	if c.account == "" {
		return fail("give TableEndpoint, or AccountName to build it from")
	}
	if !validAccountName(c.account) {
		return fail("AccountName is not a storage account name (3-24 lower-case letters and digits)")
	}
	protocol := strings.ToLower(cmp.Or(kv["defaultendpointsprotocol"], "https"))
	if protocol != "https" && protocol != "http" {
		return fail("DefaultEndpointsProtocol is neither https nor http")
	}
	suffix := cmp.Or(kv["endpointsuffix"], "core.windows.net")
	if u, err := url.Parse(protocol + "://x." + suffix); err != nil || u.Hostname() != "x."+suffix || u.Path != "" {
		return fail("EndpointSuffix is not a DNS suffix such as core.windows.net")
	}
	c.endpoint = protocol + "://" + c.account + ".table." + suffix
	return c, nil
}

func validAccountName(s string) bool {
	if len(s) < 3 || len(s) > 24 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// serviceClient returns the table service client of the connection string.
func (c storageConnection) serviceClient(opts *aztables.ClientOptions) (*aztables.ServiceClient, error) {
	if c.sas != "" {
		return aztables.NewServiceClientWithNoCredential(c.endpoint+"/?"+c.sas, opts)
	}
	cred, err := aztables.NewSharedKeyCredential(c.account, c.key)
	if err != nil {
		return nil, errors.New("connection string: AccountKey is not usable")
	}
	return aztables.NewServiceClientWithSharedKey(c.endpoint, cred, opts)
}
