// Package local runs Bashoutter on this machine: the web page on one loopback port and
// the API on another, in front of the very api.Handler the Lambda functions run. The
// API side plays API Gateway's part: it matches the routes, turns each request into the
// payload-2.0 event a function receives, and answers CORS for the page's origins only,
// as the deployed HTTP API does for the CloudFront origin. The page has two origins
// here, http://127.0.0.1:<port> and http://localhost:<port>: both name this machine,
// and learners type either (a browser treats them as different origins).
package local

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/intro-aws-go/intro-aws-go/handson/bashoutter/api"
	"github.com/intro-aws-go/intro-aws-go/handson/contracts/bashoutter"
)

// Servers are the running page and API.
type Servers struct {
	SiteURL string // e.g. http://127.0.0.1:8080
	// LocalhostURL is the same page under the name localhost, e.g. http://localhost:8080.
	LocalhostURL string
	APIURL       string // e.g. http://127.0.0.1:8081
	site         *http.Server
	api          *http.Server
	done         chan error
}

// Options configure Start.
type Options struct {
	Handler *api.Handler
	WebDir  string // the page's files (handson/bashoutter/web)
	// SiteAddr and APIAddr are host:port on 127.0.0.1; port 0 picks a free one.
	SiteAddr, APIAddr string
	// RateLimit (requests per second) and BurstLimit throttle the API as the deployed
	// stage does; 0 means bashoutter.StageRateLimit and bashoutter.StageBurstLimit.
	RateLimit, BurstLimit int
}

// Start serves the page and config.json on SiteAddr and the API on APIAddr.
func Start(o Options) (*Servers, error) {
	if o.RateLimit == 0 {
		o.RateLimit = bashoutter.StageRateLimit
	}
	if o.BurstLimit == 0 {
		o.BurstLimit = bashoutter.StageBurstLimit
	}
	siteLn, err := listenLoopback(o.SiteAddr)
	if err != nil {
		return nil, err
	}
	apiLn, err := listenLoopback(o.APIAddr)
	if err != nil {
		siteLn.Close()
		return nil, err
	}
	_, sitePort, _ := net.SplitHostPort(siteLn.Addr().String())
	s := &Servers{
		SiteURL:      "http://" + siteLn.Addr().String(),
		LocalhostURL: "http://" + net.JoinHostPort("localhost", sitePort),
		APIURL:       "http://" + apiLn.Addr().String(),
		done:         make(chan error, 2),
	}
	s.site = &http.Server{Handler: SiteHandler(o.WebDir, s.APIURL), ReadHeaderTimeout: 10 * time.Second}
	s.api = &http.Server{Handler: APIHandler(o.Handler, []string{s.SiteURL, s.LocalhostURL}, o.RateLimit, o.BurstLimit), ReadHeaderTimeout: 10 * time.Second}
	go func() { s.done <- s.site.Serve(siteLn) }()
	go func() { s.done <- s.api.Serve(apiLn) }()
	return s, nil
}

// Close stops both servers.
func (s *Servers) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(s.site.Shutdown(ctx), s.api.Shutdown(ctx))
}

func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("address %q: the local mode listens on 127.0.0.1 only", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (is another local mode running? pick other ports)", addr, err)
	}
	return ln, nil
}

// SiteHandler serves the page's files and a config.json that points it at apiURL, the
// file the stack writes into the bucket when it deploys.
func SiteHandler(webDir, apiURL string) http.Handler {
	mux := http.NewServeMux()
	config, _ := json.Marshal(map[string]string{"apiUrl": apiURL})
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(config)
	})
	mux.Handle("GET /", http.FileServer(http.Dir(webDir)))
	return mux
}

// APIHandler is API Gateway's part in front of the handler, for the allowed origins
// (compared exactly, as API Gateway's CORS allowOrigins are), throttled to rate requests
// per second with bursts of burst.
func APIHandler(h *api.Handler, allowedOrigins []string, rate, burst int) http.Handler {
	return &gateway{handler: h, origins: allowedOrigins, bucket: newTokenBucket(rate, burst)}
}

type gateway struct {
	handler *api.Handler
	origins []string
	bucket  *tokenBucket
}

// tokenBucket is API Gateway's throttling model: tokens refill at rate per second up to
// burst; a request without a token is answered 429.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newTokenBucket(rate, burst int) *tokenBucket {
	return &tokenBucket{rate: float64(rate), burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

func (b *tokenBucket) take() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// maxBody is API Gateway's payload limit for HTTP APIs.
const maxBody = 10 << 20

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	originAllowed := origin != "" && slices.Contains(g.origins, origin)
	if originAllowed {
		w.Header().Set("Access-Control-Allow-Origin", origin)
	}
	w.Header().Add("Vary", "Origin") // the answer depends on the origin: caches must not share it
	// Preflight: answered by the gateway itself, never by a function.
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		if originAllowed {
			w.Header().Set("Access-Control-Allow-Methods", strings.Join(append([]string{http.MethodOptions}, bashoutter.CorsAllowMethods...), ","))
			w.Header().Set("Access-Control-Allow-Headers", strings.Join(bashoutter.CorsAllowHeaders, ","))
			w.Header().Set("Access-Control-Max-Age", "3600")
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}

	if !g.bucket.take() {
		writeJSON(w, http.StatusTooManyRequests, `{"message":"Too Many Requests"}`)
		return
	}
	routeKey, params := route(r.Method, r.URL.Path)
	if routeKey == "" {
		writeJSON(w, http.StatusNotFound, `{"message":"Not Found"}`)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, `{"message":"Request Entity Too Large"}`)
		return
	}
	resp, err := g.handler.Handle(r.Context(), event(r, routeKey, params, body))
	if err != nil { // a function error: API Gateway answers a bare 500
		writeJSON(w, http.StatusInternalServerError, `{"message":"Internal Server Error"}`)
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	out := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if out, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			writeJSON(w, http.StatusInternalServerError, `{"message":"Internal Server Error"}`)
			return
		}
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(out)
}

// route matches the API's routes as API Gateway does: exact method and path template.
func route(method, path string) (string, map[string]string) {
	for _, key := range bashoutter.Routes {
		m, tmpl, _ := strings.Cut(key, " ")
		if m != method {
			continue
		}
		if params, ok := match(tmpl, path); ok {
			return key, params
		}
	}
	return "", nil
}

func match(tmpl, path string) (map[string]string, bool) {
	want := strings.Split(strings.Trim(tmpl, "/"), "/")
	got := strings.Split(strings.Trim(path, "/"), "/")
	if len(want) != len(got) {
		return nil, false
	}
	params := map[string]string{}
	for i, w := range want {
		if strings.HasPrefix(w, "{") && strings.HasSuffix(w, "}") {
			v, err := url.PathUnescape(got[i])
			if err != nil || v == "" {
				return nil, false
			}
			params[strings.Trim(w, "{}")] = v
		} else if w != got[i] {
			return nil, false
		}
	}
	return params, true
}

// event builds the payload-2.0 request: headers lower-cased and joined with commas, query
// parameters joined with commas, a body that is not UTF-8 text in base64.
func event(r *http.Request, routeKey string, params map[string]string, body []byte) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	for k, v := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	var query map[string]string
	if values := r.URL.Query(); len(values) > 0 {
		query = map[string]string{}
		for k, v := range values {
			query[k] = strings.Join(v, ",")
		}
	}
	e := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: routeKey, RawPath: r.URL.Path, RawQueryString: r.URL.RawQuery,
		Headers: headers, QueryStringParameters: query, PathParameters: params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: routeKey, Stage: "$default", TimeEpoch: time.Now().UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: sourceIP(r.RemoteAddr), UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			e.Body = string(body)
		} else {
			e.Body, e.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return e
}

func sourceIP(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}
