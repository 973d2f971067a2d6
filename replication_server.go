package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/shoaldb/shoal/auth"
	"github.com/shoaldb/shoal/replication"
)

// parsePeers reads -peer values: region=http[s]://host:port, comma-separated.
func parsePeers(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		region, addr, ok := strings.Cut(p, "=")
		if !ok || region == "" {
			return nil, fmt.Errorf("-peer %q: want region=http[s]://host:port", p)
		}
		u, err := url.Parse(addr)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("-peer %q: the address must be http[s]://host:port", p)
		}
		out[region] = strings.TrimRight(addr, "/")
	}
	return out, nil
}

// newReplication builds the replication manager of a server with a region
// (nil without one).
func newReplication(cfg config, s *server) (*replication.Manager, error) {
	if cfg.Region == "" {
		return nil, nil
	}
	peers, err := parsePeers(cfg.Peers)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	if cfg.ReplicationCAFile != "" {
		pem, err := os.ReadFile(cfg.ReplicationCAFile)
		if err != nil {
			return nil, fmt.Errorf("-replication-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("-replication-ca-file: no certificate found")
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return replication.New(replication.Config{
		DB:      s.db,
		Peers:   peers,
		KeyFile: cfg.ReplicationKeyFile,
		Client:  &http.Client{Transport: tr, Timeout: 60 * time.Second},
		Logger:  s.log,
	}), nil
}

// replicationHandler serves the replication endpoint behind the auth
// middleware: the caller needs replication:apply on the table.
func (s *server) replicationHandler() http.Handler {
	h := s.repl.Handler(func(r *http.Request, table string) error {
		res := auth.TableResource(table)
		if table == "*" {
			res = auth.ResourceAll
		}
		_, err := s.auth.Authorize(r.Context(), auth.ActionReplicationApply, res)
		return err
	})
	return s.auth.Middleware(h)
}
