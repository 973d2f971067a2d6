// Command shoal is the Shoal server: a database with DynamoDB's data model
// behind a GraphQL API, stored in an embedded Badger.
//
//	go run .                       # 127.0.0.1:8080, data in ./data
//	go run . -addr :9000 -data /var/lib/shoal -sync=false
//
// Every flag has a SHOAL_* environment variable (flags win); see config.go
// or `go run . -h`.
//
// Endpoints: POST and GET /graphql, GraphiQL at /, /healthz, /metrics
// (Prometheus text format).
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shoaldb/shoal/auth"
	"github.com/shoaldb/shoal/dynamodbapi"
	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/graph/ws"
	"github.com/shoaldb/shoal/replication"
	"github.com/shoaldb/shoal/resolvers"
)

func main() {
	os.Exit(runMain(os.Args[1:]))
}

// runMain runs the server with command-line args until SIGTERM or SIGINT
// and returns the exit status.
func runMain(args []string) int {
	if len(args) > 0 && args[0] == "rotate-key" {
		return rotateKeyMain(args[1:], os.Stderr)
	}
	if len(args) > 0 && (args[0] == "backup" || args[0] == "restore") {
		return cliMain(args[0], args[1:], os.Stdout, os.Stderr)
	}
	cfg, err := loadConfig(args, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "shoal:", err)
		return 2
	}
	log := newLogger(cfg, os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, cfg, log, nil); err != nil {
		log.Error("shoal stopped", "err", err)
		return 1
	}
	return 0
}

// server is a running Shoal: the engine and the HTTP handler in front of it.
type server struct {
	cfg      config
	log      *slog.Logger
	db       *engine.DB
	gql      *handler.Server
	registry *prometheus.Registry
	handler  http.Handler
	draining atomic.Bool

	// life ends when the server closes: WebSocket connections, which
	// http.Server.Shutdown does not track, close with it.
	life    context.Context
	endLife context.CancelFunc

	// auth authenticates and authorizes every GraphQL request.
	auth *auth.Service
	// rootKey is the root API key when this start created it (first start).
	rootKey string
	// repl ships global tables' changes to peer regions (nil without
	// -region).
	repl *replication.Manager
}

// newServer opens the engine and builds the HTTP handler. The caller serves
// s.Handler() and calls s.Close when done. The GraphQL handler s.gql takes
// more transports (the WebSocket transport) and extensions (auth).
func newServer(cfg config, log *slog.Logger) (*server, error) {
	var encKey []byte
	if cfg.EncryptionKeyFile != "" {
		k, err := readKeyFile(cfg.EncryptionKeyFile)
		if err != nil {
			return nil, fmt.Errorf("-encryption-key-file: %w", err)
		}
		encKey = k
	}
	db, err := engine.Open(engine.Options{
		Dir:           cfg.DataDir,
		InMemory:      cfg.InMemory,
		NoSync:        !cfg.Sync,
		Logger:        log,
		EncryptionKey: encKey,
		BackupDir:     cfg.BackupDir,

		Region:           cfg.Region,
		TombstoneHorizon: cfg.TombstoneHorizon,
	})
	if err != nil {
		return nil, fmt.Errorf("open engine: %w", err)
	}
	signingKey, err := loadSigningKey(cfg, encKey)
	if err != nil {
		db.Close()
		return nil, err
	}
	authSvc, rootKey, err := openAuth(cfg, db, signingKey, log, bootstrapOut)
	if err != nil {
		db.Close()
		return nil, err
	}
	s := &server{cfg: cfg, log: log, db: db, registry: prometheus.NewRegistry(), auth: authSvc, rootKey: rootKey}
	s.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newBadgerCollector(db),
	)
	metrics, err := resolvers.NewMetrics(s.registry)
	if err != nil {
		db.Close()
		return nil, err
	}
	if s.repl, err = newReplication(cfg, s); err != nil {
		db.Close()
		return nil, err
	}
	s.gql = resolvers.NewHandler(db, resolvers.HandlerOptions{
		ComplexityLimit: cfg.ComplexityLimit,
		DepthLimit:      cfg.DepthLimit,
		QueryCacheSize:  cfg.QueryCacheSize,
		APQCacheSize:    cfg.APQCacheSize,
		Introspection:   cfg.Introspection,
		Logger:          log,
		Metrics:         metrics,
		Auth:            authSvc,
		Replication:     s.repl,
	})
	s.life, s.endLife = context.WithCancel(context.Background())
	s.gql.AddTransport(ws.Transport{Options: ws.Options{Context: s.life, InitFunc: authSvc.InitFunc}})
	s.handler = s.routes()
	if s.repl != nil {
		s.repl.Start()
	}
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *server) Handler() http.Handler { return s.handler }

// Close ends the WebSocket connections and closes the engine; call it after
// the HTTP server has stopped.
func (s *server) Close() error {
	s.endLife()
	if s.repl != nil {
		s.repl.Close()
	}
	s.auth.Close()
	return s.db.Close()
}

func (s *server) routes() http.Handler {
	inst := newHTTPMetrics(s.registry)
	mux := http.NewServeMux()
	gql := s.auth.Middleware(s.limitBody(s.withTimeout(s.gql)))
	mux.Handle("/graphql", inst.wrap("graphql", gql))
	if s.cfg.Playground {
		mux.Handle("GET /{$}", playground.Handler("Shoal", "/graphql"))
	}
	if s.repl != nil {
		mux.Handle("/replication/v1/", inst.wrap("replication", s.replicationHandler()))
	}
	mux.Handle("GET /healthz", inst.wrap("healthz", http.HandlerFunc(s.healthz)))
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	return s.accessLog(mux)
}

// healthz answers 200 while the engine answers and the server is not
// shutting down, 503 otherwise.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "shutting down")
		return
	}
	if _, _, err := s.db.ListTables(r.Context(), "", 1); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "engine:", err)
		return
	}
	fmt.Fprintln(w, "ok")
}

// limitBody rejects request bodies over cfg.MaxBodyBytes: with 413 when the
// length is declared, with a read error (which the transport reports) when
// it is not.
func (s *server) limitBody(next http.Handler) http.Handler {
	limit := s.cfg.MaxBodyBytes
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			fmt.Fprintf(w, `{"errors":[{"message":"request body exceeds %d bytes","extensions":{"code":"REQUEST_TOO_LARGE"}}]}`+"\n", limit)
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// withTimeout bounds the time a request may spend in the engine. A
// WebSocket connection lives as long as its subscriptions, so it is exempt;
// its operations end with the connection or the server.
func (s *server) withTimeout(next http.Handler) http.Handler {
	d := s.cfg.RequestTimeout
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if websocket.IsWebSocketUpgrade(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// accessLog logs each request at debug level.
func (s *server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.log.Enabled(r.Context(), slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.log.DebugContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "duration", time.Since(start), "remote", r.RemoteAddr)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Hijack hands the connection over (the WebSocket transport needs it).
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	r.status = http.StatusSwitchingProtocols
	return http.NewResponseController(r.ResponseWriter).Hijack()
}

// Flush sends buffered data to the client.
func (r *statusRecorder) Flush() {
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer (for
// hijacking by the WebSocket transport, and flushing).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// run serves until ctx is canceled, then stops taking connections, lets
// in-flight requests finish (up to cfg.ShutdownTimeout) and closes the
// engine. ready, if not nil, is called with the bound address once the
// server listens.
func run(ctx context.Context, cfg config, log *slog.Logger, ready func(addr string)) error {
	s, err := newServer(cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		s.Close()
		return err
	}
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.RequestTimeout + 10*time.Second,
		WriteTimeout:      cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	log.Info("shoal listening", "addr", ln.Addr().String(), "data", dataLabel(cfg),
		"sync", cfg.Sync, "introspection", cfg.Introspection)
	if ready != nil {
		ready(ln.Addr().String())
	}

	stopDynamoDB, err := s.serveDynamoDB(ctx)
	if err != nil {
		ln.Close()
		s.Close()
		return err
	}
	_, stopPprof, err := servePprof(cfg.PprofAddr, log)
	if err != nil {
		ln.Close()
		stopDynamoDB(context.Background())
		s.Close()
		return err
	}
	defer stopPprof()

	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" {
			errc <- hs.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
			return
		}
		errc <- hs.Serve(ln)
	}()

	select {
	case err := <-errc:
		stopDynamoDB(context.Background())
		s.Close()
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	s.draining.Store(true)
	s.endLife() // subscriptions end with close code 1001 (going away)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	shutdownErr := hs.Shutdown(sctx)
	if shutdownErr != nil {
		log.Warn("in-flight requests did not finish in time; closing them", "err", shutdownErr)
		hs.Close()
	}
	stopDynamoDB(sctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("serve", "err", err)
	}
	if err := s.Close(); err != nil {
		return fmt.Errorf("close engine: %w", err)
	}
	log.Info("stopped")
	return nil
}

func dataLabel(cfg config) string {
	if cfg.InMemory {
		return "(in memory)"
	}
	return cfg.DataDir
}

// httpMetrics counts HTTP requests by handler and status.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoal_http_requests_total",
			Help: "HTTP requests, by handler and status code.",
		}, []string{"handler", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shoal_http_request_duration_seconds",
			Help:    "Latency of HTTP requests, by handler.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"handler"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shoal_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.inflight)
	return m
}

func (m *httpMetrics) wrap(name string, next http.Handler) http.Handler {
	dur := m.duration.WithLabelValues(name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.inflight.Inc()
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			m.inflight.Dec()
			dur.Observe(time.Since(start).Seconds())
			m.requests.WithLabelValues(name, strconv.Itoa(rec.status)).Inc()
		}()
		next.ServeHTTP(rec, r)
	})
}

// serveDynamoDB serves the DynamoDB-compatible API (package dynamodbapi) on
// its own listener, cfg.DynamoDBAddr, when set, over the same engine. It
// returns the function that stops it, letting in-flight requests finish
// until that function's ctx ends.
func (s *server) serveDynamoDB(ctx context.Context) (stop func(context.Context), err error) {
	if s.cfg.DynamoDBAddr == "" {
		return func(context.Context) {}, nil
	}
	// With -insecure-dev (loopback only), as on GraphQL: no signature is
	// checked, and every request, signed or not, is the anonymous principal
	// with the admin role. Otherwise every request must carry a Signature
	// Version 4 made with an API key (access key id: the key's id; secret
	// access key: shoal_<id>_<secret>), authorized by its roles.
	if s.cfg.InsecureDev && !isLoopback(s.cfg.DynamoDBAddr) {
		return nil, fmt.Errorf("-dynamodb-addr: with -insecure-dev, the DynamoDB API too must listen on a loopback address, not %q", s.cfg.DynamoDBAddr)
	}
	ln, err := net.Listen("tcp", s.cfg.DynamoDBAddr)
	if err != nil {
		return nil, fmt.Errorf("dynamodb api: %w", err)
	}
	a := dynamodbapi.NewAuthService(s.auth)
	opts := dynamodbapi.Options{Credentials: a, Authorizer: a, Logger: s.log}
	if s.cfg.InsecureDev {
		opts.Credentials = nil
	}
	h := dynamodbapi.New(s.db, opts)
	hs := &http.Server{
		Handler:           s.withTimeout(h),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.RequestTimeout + 10*time.Second,
		WriteTimeout:      s.cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Warn("dynamodb api serve", "err", err)
		}
	}()
	if s.cfg.InsecureDev {
		s.log.Warn("INSECURE: dynamodb api listening without authentication (-insecure-dev): every request has full access", "addr", ln.Addr().String())
	} else {
		s.log.Info("dynamodb api listening (Signature Version 4 with API keys)", "addr", ln.Addr().String())
	}
	return func(ctx context.Context) {
		if err := hs.Shutdown(ctx); err != nil {
			hs.Close()
		}
	}, nil
}

// servePprof serves Go's profiler endpoints on addr, when set, and returns
// the address it listens on and the function that stops it.
func servePprof(addr string, log *slog.Logger) (bound string, stop func(), err error) {
	if addr == "" {
		return "", func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("pprof serve", "err", err)
		}
	}()
	log.Info("pprof listening", "addr", ln.Addr().String())
	return ln.Addr().String(), func() { hs.Close() }, nil
}
