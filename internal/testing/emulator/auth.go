package emulator

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

type loginRequest struct {
	Data struct {
		LoginName     string `json:"LOGIN_NAME"`
		Password      string `json:"PASSWORD"`
		Authenticator string `json:"AUTHENTICATOR"`
		Token         string `json:"TOKEN"`
		AccountName   string `json:"ACCOUNT_NAME"`
	} `json:"data"`
}

func loginError(number int, format string, args ...any) wireResponse {
	return failure(newError(number, "08004", format, args...), "")
}

// handleLogin authenticates with a password (authenticator SNOWFLAKE or empty) or a key-pair
// JWT (SNOWFLAKE_JWT) and opens a session with the requested or default role, database,
// schema and warehouse.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad request body", http.StatusBadRequest)
		return
	}
	q := r.URL.Query()
	writeJSON(w, s.login(req, q.Get("roleName"), q.Get("databaseName"), q.Get("schemaName"), q.Get("warehouse")))
}

func (s *Server) login(req loginRequest, roleName, dbName, schemaName, warehouse string) wireResponse {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.acct
	login := req.Data.LoginName
	if login == "" { // key-pair logins name the user only in the JWT's subject, ACCOUNT.USER
		var claims struct {
			Sub string `json:"sub"`
		}
		if parts := strings.Split(req.Data.Token, "."); len(parts) == 3 && decodeSegment(parts[1], &claims) {
			_, login, _ = strings.Cut(claims.Sub, ".")
		}
	}
	var u *user
	for _, cand := range a.users {
		if strings.EqualFold(cand.loginName, login) || cand.name == login {
			u = cand
			break
		}
	}
	switch strings.ToUpper(req.Data.Authenticator) {
	case "", "SNOWFLAKE":
		if u == nil || u.password == "" || u.password != req.Data.Password {
			return loginError(ErrBadCredentials, "Incorrect username or password was specified.")
		}
	case "SNOWFLAKE_JWT":
		if u == nil || !verifyJWT(req.Data.Token, u, time.Now()) {
			return loginError(ErrInvalidJWT, "JWT token is invalid.")
		}
	default:
		return loginError(ErrBadCredentials, "Incorrect username or password was specified.")
	}
	if u.disabled {
		return loginError(390101, "User access disabled. Contact your local system administrator.")
	}
	allowed := a.userRoles(u)
	st := sessionState{user: u.name, role: rolePublic, warehouse: identName(warehouse, u.defaultWarehouse), params: map[string]string{},
		noSecondary: u.noSecondaryRoles}
	if roleName != "" {
		rn := identName(roleName, "")
		if r := a.roles[rn]; r == nil || !allowed[r] {
			return loginError(ErrLoginRoleNotGranted, "Role '%s' specified in the connect string is not granted to this user. Contact your local system administrator, or attempt to login with another role, e.g. PUBLIC.", rn)
		}
		st.role = rn
	} else if r := a.roles[u.defaultRole]; r != nil && allowed[r] {
		st.role = r.name
	}
	set := a.closure(a.roles[st.role])
	if db := a.root.children[identName(dbName, "")]; db != nil && set.sees(db) {
		st.database = db.name
		sc := db.children[identName(schemaName, "PUBLIC")]
		if sc != nil && set.sees(sc) {
			st.schema = sc.name
		}
	}
	sess := &session{st: st, token: newID(), master: newID(),
		tokenExpiry: time.Now().Add(s.opts.SessionTokenTTL), masterUntil: time.Now().Add(s.opts.MasterTokenTTL)}
	s.smu.Lock()
	s.nextID++
	sess.id = s.nextID
	s.sessions[sess.token] = sess
	s.masters[sess.master] = sess
	s.smu.Unlock()
	return wireResponse{Success: true, Data: map[string]any{
		"token": sess.token, "validityInSeconds": int64(s.opts.SessionTokenTTL.Seconds()),
		"masterToken": sess.master, "masterValidityInSeconds": int64(s.opts.MasterTokenTTL.Seconds()),
		"sessionId": sess.id, "serverVersion": serverVersion, "displayUserName": u.displayName,
		"parameters": []nameValue{{"TIMEZONE", "UTC"}, {"CLIENT_SESSION_KEEP_ALIVE", false}},
		"sessionInfo": map[string]string{"databaseName": st.database, "schemaName": st.schema,
			"warehouseName": st.warehouse, "roleName": st.role},
	}}
}

// identName reads a name from a connect parameter as Snowflake does (unquoted upper-cased,
// "quoted" exact); empty gives def.
func identName(v, def string) string {
	if v == "" {
		return def
	}
	return normalizeUserName(v)
}

// verifyJWT checks a key-pair login token: RS256, signed by one of the user's registered
// keys, whose SHA256 fingerprint the issuer names, for this user, and not expired.
func verifyJWT(token string, u *user, now time.Time) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	var header struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Exp int64  `json:"exp"`
	}
	if !decodeSegment(parts[0], &header) || !decodeSegment(parts[1], &claims) || header.Alg != "RS256" {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || claims.Exp < now.Add(-time.Minute).Unix() {
		return false
	}
	_, subUser, ok := strings.Cut(claims.Sub, ".")
	if !ok || !strings.EqualFold(subUser, u.loginName) && !strings.EqualFold(subUser, u.name) {
		return false
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	for _, key := range u.pubKeys {
		if key == nil {
			continue
		}
		der, err := x509.MarshalPKIXPublicKey(key)
		if err != nil {
			continue
		}
		fp := sha256.Sum256(der)
		if !strings.HasSuffix(claims.Iss, ".SHA256:"+base64.StdEncoding.EncodeToString(fp[:])) {
			continue
		}
		if rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig) == nil {
			return true
		}
	}
	return false
}

func decodeSegment(seg string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	return err == nil && json.Unmarshal(b, v) == nil
}
