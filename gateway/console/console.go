// Package console is the gateway's web console at /console/: a browser UI
// (plain ES modules and CSS embedded in the binary) and the small JSON API
// behind it — sign-in to a server-side session, and a way for that session
// to act on the store.
//
// The console has no access to data of its own. A signed-in browser acts
// through the gateway's own doors under its own key: S3 requests go to the
// S3 door with URLs the console presigns for the session's key (so the
// browser streams bodies with progress, and the S3 door authenticates and
// authorizes them like any client's), and /files and /admin requests are
// handed to the gateway's handler with the key's HTTP Basic credentials.
// What a key may not do through S3 or /files, it may not do here.
package console

import (
	"embed"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"sixfold/s3api/sigv4"
)

//go:embed assets
var assets embed.FS

// Keys checks credentials and looks up secrets: the gateway's key store,
// or any store of users that replaces it.
type Keys interface {
	Check(accessKey, secret string) bool
	Secret(accessKey string) (string, bool)
}

// Options configure the console.
type Options struct {
	// Keys is the gateway's credential store. Required.
	Keys Keys
	// Region is the S3 door's region, which presigned URLs name.
	Region string
	// Sessions keeps the sign-ins; nil means a MemoryStore, which a
	// restart empties and other gateways do not see.
	Sessions SessionStore
	// SessionTTL is how long a sign-in lasts; 0 means DefaultSessionTTL.
	SessionTTL time.Duration
	// Traffic reads the gateway's own transfer counters for the cluster
	// page's throughput; nil leaves it out.
	Traffic func() (Traffic, error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultSessionTTL is how long a sign-in lasts unless Options say.
const DefaultSessionTTL = 12 * time.Hour

// Traffic is the gateway's running totals since it started; the browser
// turns two readings into rates.
type Traffic struct {
	BytesIn         float64 `json:"bytes_in"`
	BytesOut        float64 `json:"bytes_out"`
	Requests        float64 `json:"requests"`
	ActiveUploads   float64 `json:"active_uploads"`
	ActiveDownloads float64 `json:"active_downloads"`
}

// Console serves /console. It is safe for concurrent use.
type Console struct {
	keys     Keys
	region   string
	now      func() time.Time
	ttl      time.Duration
	sessions SessionStore
	traffic  func() (Traffic, error)
	throttle *throttle
	gateway  http.Handler
}

// New returns the console.
func New(o Options) *Console {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = DefaultSessionTTL
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Sessions == nil {
		o.Sessions = NewMemoryStore()
	}
	return &Console{keys: o.Keys, region: o.Region, now: o.Now, ttl: o.SessionTTL,
		sessions: o.Sessions, traffic: o.Traffic, throttle: newThrottle(o.Now)}
}

// Register mounts /console on e. The console hands /files and /admin
// requests back to e itself, so they pass the same middleware,
// authentication and authorization as any client's.
func (c *Console) Register(e *echo.Echo) {
	c.gateway = e
	e.GET("/console", func(ctx echo.Context) error {
		return ctx.Redirect(http.StatusMovedPermanently, "/console/")
	})
	api := e.Group("/console/api", noStore, renderProblems)
	api.POST("/login", c.login)
	api.GET("/session", c.authed(c.sessionInfo))
	api.POST("/logout", c.authed(c.logout))
	api.POST("/presign", c.authed(c.presign))
	api.GET("/traffic", c.authed(c.trafficNow))
	for _, door := range []string{"/files", "/files/*", "/admin/*"} {
		api.Any(door, c.authed(c.forward))
	}
	api.Any("/*", func(ctx echo.Context) error {
		return problem(http.StatusNotFound, "NotFound", "no such console API")
	})
	static, _ := fs.Sub(assets, "assets")
	files := http.StripPrefix("/console/", http.FileServer(http.FS(static)))
	e.GET("/console/*", func(ctx echo.Context) error {
		setPageHeaders(ctx.Response().Header())
		files.ServeHTTP(ctx.Response(), ctx.Request())
		return nil
	})
}

// setPageHeaders keeps the console's pages from loading anything but its
// own assets and from being framed by another site.
func setPageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-cache")
}

func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		c.Response().Header().Set("X-Content-Type-Options", "nosniff")
		return next(c)
	}
}

const (
	cookieName = "sixfold_console"
	csrfHeader = "X-CSRF-Token"
	// maxJSON bounds the console API's request bodies.
	maxJSON = 16 << 10
)

type loginRequest struct {
	AccessKey string `json:"access_key"`
	Secret    string `json:"secret"`
}

type sessionJSON struct {
	AccessKey string    `json:"access_key"`
	CSRFToken string    `json:"csrf_token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// login checks an access key and secret and starts a session. It accepts
// only a JSON body, which a cross-site form cannot send without a CORS
// preflight that the gateway never grants.
func (c *Console) login(ctx echo.Context) error {
	addr := clientAddr(ctx.Request())
	if wait := c.throttle.wait(addr); wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		ctx.Response().Header().Set("Retry-After", strconv.Itoa(secs))
		return problem(http.StatusTooManyRequests, "TooManyAttempts",
			"too many failed sign-ins from this address; try again in "+strconv.Itoa(secs)+" s")
	}
	var req loginRequest
	if err := readJSON(ctx, &req); err != nil {
		return err
	}
	if req.AccessKey == "" || req.Secret == "" {
		return problem(http.StatusBadRequest, "MissingCredentials", "enter an access key and its secret")
	}
	if !c.keys.Check(req.AccessKey, req.Secret) {
		c.throttle.fail(addr)
		return problem(http.StatusUnauthorized, "InvalidCredentials", "the access key or secret is wrong")
	}
	c.throttle.succeed(addr)
	rctx := ctx.Request().Context()
	now := c.now()
	// Each sign-in sweeps the expired ones, so the store holds no more
	// than the sessions started within one TTL.
	if err := c.sessions.DeleteExpired(rctx, now); err != nil {
		return storeProblem(err)
	}
	cookie := randomToken()
	sess := Session{AccessKey: req.AccessKey, SecretCheck: secretCheck(cookie, req.Secret),
		CSRFToken: randomToken(), Expires: now.Add(c.ttl)}
	if err := c.sessions.Put(rctx, sessionIDOf(cookie), sess); err != nil {
		return storeProblem(err)
	}
	http.SetCookie(ctx.Response(), &http.Cookie{
		Name: cookieName, Value: cookie, Path: "/console/", Expires: sess.Expires,
		HttpOnly: true, Secure: ctx.Request().TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	return ctx.JSON(http.StatusOK, sessionOf(sess))
}

func sessionOf(s Session) sessionJSON {
	return sessionJSON{AccessKey: s.AccessKey, CSRFToken: s.CSRFToken, ExpiresAt: s.Expires.UTC()}
}

// storeProblem answers a session store that failed (PostgreSQL away): the
// browser may retry, and no one is signed in or out by it.
func storeProblem(err error) error {
	return &problemError{status: http.StatusServiceUnavailable, Code: "SessionsUnavailable",
		Message: "the session store cannot be reached; try again shortly", cause: err}
}

// signedIn is the session a request came with, and its cookie value.
type signedIn struct {
	Session
	cookie string
}

// authedFunc is a handler that runs for a live session; secret is the
// session key's current secret.
type authedFunc func(ctx echo.Context, s signedIn, secret string) error

// authed admits requests of a live session whose key still has the secret
// it signed in with, and, for anything but GET and HEAD, that carry the
// session's CSRF token in X-CSRF-Token.
func (c *Console) authed(next authedFunc) echo.HandlerFunc {
	return func(ctx echo.Context) error {
		r := ctx.Request()
		cookie, err := r.Cookie(cookieName)
		if err != nil || cookie.Value == "" {
			return problem(http.StatusUnauthorized, "NotSignedIn", "sign in first (there is no session)")
		}
		id := sessionIDOf(cookie.Value)
		sess, err := c.sessions.Get(r.Context(), id, c.now())
		if errors.Is(err, ErrNoSession) {
			return problem(http.StatusUnauthorized, "NotSignedIn", "sign in first (the session has expired or was ended)")
		}
		if err != nil {
			return storeProblem(err)
		}
		secret, ok := c.keys.Secret(sess.AccessKey)
		if !ok || !sess.validSecret(cookie.Value, secret) {
			if err := c.sessions.Delete(r.Context(), id); err != nil {
				return storeProblem(err)
			}
			return problem(http.StatusUnauthorized, "NotSignedIn", "the key's secret has changed or the key is gone; sign in again")
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !sess.checkCSRF(r.Header.Get(csrfHeader)) {
			return problem(http.StatusForbidden, "InvalidCSRFToken", "this request lacks the session's "+csrfHeader+" header")
		}
		return next(ctx, signedIn{Session: sess, cookie: cookie.Value}, secret)
	}
}

func (c *Console) sessionInfo(ctx echo.Context, s signedIn, _ string) error {
	return ctx.JSON(http.StatusOK, sessionOf(s.Session))
}

func (c *Console) logout(ctx echo.Context, s signedIn, _ string) error {
	if err := c.sessions.Delete(ctx.Request().Context(), sessionIDOf(s.cookie)); err != nil {
		return storeProblem(err)
	}
	http.SetCookie(ctx.Response(), &http.Cookie{
		Name: cookieName, Value: "", Path: "/console/", MaxAge: -1,
		HttpOnly: true, Secure: ctx.Request().TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	return ctx.NoContent(http.StatusNoContent)
}

type presignBody struct {
	Method         string            `json:"method"`
	Bucket         string            `json:"bucket"`
	Key            string            `json:"key"`
	Query          map[string]string `json:"query"`
	Headers        map[string]string `json:"headers"`
	ExpiresSeconds int64             `json:"expires_seconds"`
}

// signableHeaders are the headers the console's pages send with a
// presigned request; S3 refuses an x-amz-* header that is not signed.
var signableHeaders = map[string]bool{"x-amz-checksum-mode": true}

// presignMethods are the S3 requests the console makes.
var presignMethods = map[string]bool{"GET": true, "HEAD": true, "PUT": true, "POST": true, "DELETE": true}

// presign answers {"url": "/bucket/key?X-Amz-..."}: a URL on this host
// that lets the browser make one S3 request as the session's key.
func (c *Console) presign(ctx echo.Context, s signedIn, secret string) error {
	var b presignBody
	if err := readJSON(ctx, &b); err != nil {
		return err
	}
	if !presignMethods[b.Method] {
		return problem(http.StatusBadRequest, "InvalidMethod", "method must be GET, HEAD, PUT, POST or DELETE")
	}
	if b.Bucket == "" && (b.Key != "" || b.Method != http.MethodGet) {
		return problem(http.StatusBadRequest, "InvalidTarget", "only GET (list buckets) may omit the bucket")
	}
	if b.ExpiresSeconds == 0 {
		b.ExpiresSeconds = 300
	}
	if b.ExpiresSeconds < 1 || b.ExpiresSeconds > 7*24*3600 {
		return problem(http.StatusBadRequest, "InvalidExpiry", "expires_seconds must be between 1 and 604800 (7 days)")
	}
	q := map[string][]string{}
	for k, v := range b.Query {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-") {
			return problem(http.StatusBadRequest, "InvalidQuery", "the console signs X-Amz-* parameters itself")
		}
		q[k] = []string{v}
	}
	for k := range b.Headers {
		if !signableHeaders[k] {
			return problem(http.StatusBadRequest, "InvalidHeader", "the console signs no header "+strconv.Quote(k))
		}
	}
	url := sigv4.Presign(sigv4.PresignInput{Method: b.Method, Host: ctx.Request().Host, Bucket: b.Bucket, Key: b.Key,
		Query: q, Headers: b.Headers, Expires: time.Duration(b.ExpiresSeconds) * time.Second,
		AccessKey: s.AccessKey, Secret: secret, Region: c.region, Now: c.now()})
	return ctx.JSON(http.StatusOK, map[string]string{"url": url})
}

// forward hands /console/api/files… and /console/api/admin/… to the
// gateway's own /files and /admin routes with the session key's Basic
// credentials: those routes authenticate, authorize and rate-limit it.
func (c *Console) forward(ctx echo.Context, s signedIn, secret string) error {
	r := ctx.Request()
	out := r.Clone(r.Context())
	out.URL.Path = strings.TrimPrefix(r.URL.Path, "/console/api")
	out.URL.RawPath = ""
	out.RequestURI = out.URL.RequestURI()
	out.Header.Del("Cookie")
	out.Header.Del(csrfHeader)
	out.Header.Set(echo.HeaderXRequestID, ctx.Response().Header().Get(echo.HeaderXRequestID))
	out.SetBasicAuth(s.AccessKey, secret)
	c.gateway.ServeHTTP(ctx.Response(), out)
	return nil
}

// trafficNow answers the gateway's running transfer totals and the time
// they were read, which the cluster page turns into rates.
func (c *Console) trafficNow(ctx echo.Context, _ signedIn, _ string) error {
	if c.traffic == nil {
		return problem(http.StatusNotFound, "NoTraffic", "this gateway does not report its traffic")
	}
	t, err := c.traffic()
	if err != nil {
		return err
	}
	return ctx.JSON(http.StatusOK, struct {
		Traffic
		At time.Time `json:"at"`
	}{t, c.now().UTC()})
}

func readJSON(ctx echo.Context, v any) error {
	ct := ctx.Request().Header.Get(echo.HeaderContentType)
	if !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return problem(http.StatusUnsupportedMediaType, "UnsupportedMediaType", "send a JSON body (Content-Type: application/json)")
	}
	dec := json.NewDecoder(io.LimitReader(ctx.Request().Body, maxJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return problem(http.StatusBadRequest, "InvalidJSON", "the body is not the JSON this call takes: "+err.Error())
	}
	return nil
}

// clientAddr is the peer's address without its port: failed sign-ins are
// counted per address. Forwarded-for headers are not trusted here, since
// anyone can send them.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// problem is the gateway's JSON error shape, {"error": {"code", "message"}}.
func problem(status int, code, message string) error {
	return &problemError{status: status, Code: code, Message: message}
}

type problemError struct {
	status  int
	cause   error  // logged by the gateway, never shown
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (p *problemError) Error() string { return p.Code + ": " + p.Message }

func (p *problemError) Unwrap() error { return p.cause }

// renderProblems writes the console's own errors; the gateway's error
// handler renders only its doors' types.
func renderProblems(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ctx echo.Context) error {
		err := next(ctx)
		var p *problemError
		if !errors.As(err, &p) {
			return err
		}
		if p.cause != nil {
			zerolog.Ctx(ctx.Request().Context()).Warn().Err(p.cause).Str("code", p.Code).Msg("console request failed")
		}
		if p.status == http.StatusServiceUnavailable {
			ctx.Response().Header().Set("Retry-After", "1")
		}
		return ctx.JSON(p.status, map[string]*problemError{"error": p})
	}
}
