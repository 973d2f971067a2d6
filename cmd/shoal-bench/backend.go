package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"

	"github.com/shoaldb/shoal/engine"
)

// request is one operation of a workload in the two forms the targets
// need: a GraphQL request body for the HTTP targets and a Go call for the
// in-process engine. Both do the same thing.
type request struct {
	kind string // the operation, e.g. "get"; latencies are also kept per kind
	gql  []byte
	eng  func(ctx context.Context, db *engine.DB) error
}

// The targets a workload runs against.
const (
	targetShoal  = "shoal"  // the Shoal server over HTTP and WebSocket
	targetHTTP   = "http"   // a bare net/http handler returning fixed bodies
	targetEngine = "engine" // the engine called in-process
)

// backend executes requests against one target. do is safe for concurrent
// use.
type backend interface {
	target() string
	do(ctx context.Context, r request) error
	close() error
}

// shoalBackend posts requests to a Shoal server. It keeps the first
// response body of every request kind so the bare HTTP baseline can answer
// with bodies of the same size.
type shoalBackend struct {
	c       *gqlClient
	samples *sync.Map // kind → []byte
}

func (b *shoalBackend) target() string { return targetShoal }
func (b *shoalBackend) close() error   { return nil }

func (b *shoalBackend) do(ctx context.Context, r request) error {
	out, err := b.c.post(ctx, r.gql)
	if err == nil && b.samples != nil {
		if _, ok := b.samples.Load(r.kind); !ok {
			b.samples.Store(r.kind, out)
		}
	}
	return err
}

// bareServer is the network-and-HTTP ceiling: a net/http server on a
// loopback port that reads each request body and answers with a fixed
// body, the response Shoal gave to the first request of the same kind (or
// a small fixed body). It also serves the fan-out baseline's WebSocket
// side (see bareFanout).
type bareServer struct {
	srv     *http.Server
	ln      net.Listener
	url     string
	samples *sync.Map
	fan     *bareFanout
}

var bareDefaultBody = []byte(`{"data":{"ok":true}}`)

func startBareServer(samples *sync.Map) (*bareServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &bareServer{ln: ln, url: "http://" + ln.Addr().String() + "/graphql", samples: samples, fan: newBareFanout()}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ErrorLog: nil}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *bareServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Upgrade") != "" {
		s.fan.serveWS(w, r)
		return
	}
	kind := r.URL.Query().Get("kind")
	body, _ := io.ReadAll(r.Body)
	if kind == "fanout-write" {
		s.fan.publish(body)
	}
	out := bareDefaultBody
	if s.samples != nil {
		if v, ok := s.samples.Load(kind); ok {
			out = v.([]byte)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}

func (s *bareServer) close() error {
	s.fan.closeAll()
	return s.srv.Close()
}

// bareBackend replays requests against a bareServer.
type bareBackend struct {
	c    *gqlClient
	base string
}

func newBareBackend(s *bareServer, clients int) *bareBackend {
	return &bareBackend{c: &gqlClient{http: newHTTPClient(clients), url: s.url}, base: s.url}
}

func (b *bareBackend) target() string { return targetHTTP }
func (b *bareBackend) close() error   { return nil }

func (b *bareBackend) do(ctx context.Context, r request) error {
	c := *b.c
	c.url = b.base + "?kind=" + url.QueryEscape(r.kind)
	_, err := c.post(ctx, r.gql)
	return err
}

// engineBackend calls an engine opened in-process on a temporary
// directory: the storage ceiling.
type engineBackend struct {
	db  *engine.DB
	dir string
}

func openEngineBackend(sync bool) (*engineBackend, error) {
	dir, err := os.MkdirTemp("", "shoal-bench-engine-")
	if err != nil {
		return nil, err
	}
	db, err := engine.Open(engine.Options{
		Dir:    dir,
		NoSync: !sync,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &engineBackend{db: db, dir: dir}, nil
}

func (b *engineBackend) target() string { return targetEngine }

func (b *engineBackend) do(ctx context.Context, r request) error {
	if err := r.eng(ctx, b.db); err != nil {
		return &codeError{code: string(engine.CodeOf(err)), msg: err.Error()}
	}
	return nil
}

func (b *engineBackend) close() error {
	err := b.db.Close()
	os.RemoveAll(b.dir)
	return err
}
