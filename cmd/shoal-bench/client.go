package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// codeError is a failed operation with its error code: the GraphQL error's
// extensions.code, "HTTP_<status>" for a non-200 response without GraphQL
// errors, NETWORK for a transport failure, or the engine's code.
type codeError struct {
	code string
	msg  string
}

func (e *codeError) Error() string { return e.code + ": " + e.msg }

// codeOf returns the code of an error for the report's error counts.
func codeOf(err error) string {
	if ce, ok := errors.AsType[*codeError](err); ok {
		return ce.code
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "CANCELED"
	}
	return "UNKNOWN"
}

// newHTTPClient returns a client tuned for load: keep-alive connections, at
// least conns idle connections per host, no compression, no proxy.
func newHTTPClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		MaxConnsPerHost:     0,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}}
}

// gqlClient posts GraphQL requests to one endpoint.
type gqlClient struct {
	http  *http.Client
	url   string // the /graphql endpoint
	token string // sent as Authorization: Bearer <token> when not empty
}

// gqlResponse is the part of a GraphQL response the tool reads.
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// post sends one request body and returns the response body. A response
// with GraphQL errors returns a *codeError with the first error's code.
func (c *gqlClient) post(ctx context.Context, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &codeError{code: "NETWORK", msg: err.Error()}
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, &codeError{code: "NETWORK", msg: err.Error()}
	}
	return out, checkResponse(resp.StatusCode, out)
}

// checkResponse turns a GraphQL response with errors, or a non-200 status,
// into a *codeError. The common case (no errors) costs one byte search.
func checkResponse(status int, body []byte) error {
	if status == http.StatusOK && !bytes.Contains(body, []byte(`"errors"`)) {
		return nil
	}
	var r gqlResponse
	if err := json.Unmarshal(body, &r); err == nil && len(r.Errors) > 0 {
		code := r.Errors[0].Extensions.Code
		if code == "" {
			code = "GRAPHQL"
		}
		return &codeError{code: code, msg: r.Errors[0].Message}
	}
	if status != http.StatusOK {
		return &codeError{code: "HTTP_" + strconv.Itoa(status), msg: truncate(string(body), 200)}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// gqlBody encodes a GraphQL request.
func gqlBody(query string, vars map[string]any) []byte {
	b, err := json.Marshal(struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables,omitempty"`
	}{query, vars})
	if err != nil {
		panic(fmt.Sprintf("shoal-bench: encode request: %v", err)) // only plain values are passed
	}
	return b
}

// serverStats is what the server's /metrics says about its process.
type serverStats struct {
	CPUSeconds float64 `json:"cpu_seconds"`
	RSSBytes   float64 `json:"rss_bytes"`
	Goroutines float64 `json:"goroutines"`
}

// scrapeMetrics reads process_cpu_seconds_total,
// process_resident_memory_bytes and go_goroutines from a Prometheus text
// endpoint.
func scrapeMetrics(ctx context.Context, c *http.Client, url, token string) (serverStats, error) {
	var s serverStats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return s, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return parseMetrics(resp.Body)
}

func parseMetrics(r io.Reader) (serverStats, error) {
	var s serverStats
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	found := 0
	for sc.Scan() {
		line := sc.Text()
		name, val, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		var dst *float64
		switch name {
		case "process_cpu_seconds_total":
			dst = &s.CPUSeconds
		case "process_resident_memory_bytes":
			dst = &s.RSSBytes
		case "go_goroutines":
			dst = &s.Goroutines
		default:
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			return s, fmt.Errorf("metric %s: %w", name, err)
		}
		*dst = f
		found++
	}
	if err := sc.Err(); err != nil {
		return s, err
	}
	if found == 0 {
		return s, errors.New("no process metrics found")
	}
	return s, nil
}
