package replication_test

// A harness that runs real Shoal server processes as regions, connected
// through loopback TCP proxies that can cut a link, and drives them over
// HTTP/GraphQL.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// serverBinary builds the shoal binary once per test run.
func serverBinary(t *testing.T) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shoal-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "shoal")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/shoaldb/shoal")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proxy forwards TCP connections to a target that may move (a restarted
// server gets a new port); Cut drops every connection and refuses new
// ones until Heal.
type proxy struct {
	ln     net.Listener
	mu     sync.Mutex
	target string
	cut    bool
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.Cut() })
	go p.serve()
	return p
}

func (p *proxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *proxy) setTarget(addr string) {
	p.mu.Lock()
	p.target = addr
	p.mu.Unlock()
}

func (p *proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

func (p *proxy) Heal() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		cut, target := p.cut, p.target
		p.mu.Unlock()
		if cut || target == "" {
			c.Close()
			continue
		}
		go func() {
			u, err := net.DialTimeout("tcp", target, 2*time.Second)
			if err != nil {
				c.Close()
				return
			}
			p.mu.Lock()
			if p.cut {
				p.mu.Unlock()
				c.Close()
				u.Close()
				return
			}
			p.conns[c], p.conns[u] = true, true
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close(); c.Close() }()
			io.Copy(c, u)
			u.Close()
			c.Close()
		}()
	}
}

// region is one server process.
type region struct {
	t       *testing.T
	name    string
	dir     string
	peers   map[string]*proxy // peer region → proxy this region dials
	fronts  []*proxy          // proxies that lead to this region
	cmd     *exec.Cmd
	addrMu  sync.Mutex
	addr    string // guarded by addrMu (a restart changes it)
	rootKey string
	exited  chan struct{}
	logs    *bytes.Buffer
	logMu   sync.Mutex
}

type cluster struct {
	t       *testing.T
	regions map[string]*region
	names   []string
}

// newCluster starts one server per region name, every pair connected
// through its own proxy, and gives each a replication key for each peer.
func newCluster(t *testing.T, names ...string) *cluster {
	serverBinary(t)
	c := &cluster{t: t, regions: map[string]*region{}, names: names}
	for _, n := range names {
		c.regions[n] = &region{t: t, name: n, dir: t.TempDir(), peers: map[string]*proxy{}}
	}
	for _, a := range names {
		for _, b := range names {
			if a != b {
				p := newProxy(t)
				c.regions[a].peers[b] = p
				c.regions[b].fronts = append(c.regions[b].fronts, p)
			}
		}
	}
	for _, n := range names {
		c.regions[n].start()
	}
	// Each region gets a role allowing only replication:apply and a key
	// with it; the other regions present that key.
	keys := map[string]string{}
	for _, n := range names {
		r := c.regions[n]
		r.gql(`mutation { putRole(input: {name: "replicator", statements: [{effect: allow, actions: ["replication:apply"], resources: ["*"]}]}) { name } }`, nil)
		out := r.gql(`mutation { createApiKey(input: {name: "replication", roles: ["replicator"]}) { secret } }`, nil)
		keys[n] = out["createApiKey"].(map[string]any)["secret"].(string)
	}
	for _, n := range names {
		var lines []string
		for _, m := range names {
			if m != n {
				lines = append(lines, m+"="+keys[m])
			}
		}
		if err := os.WriteFile(filepath.Join(c.regions[n].dir, "replication-keys"), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

var listenRE = regexp.MustCompile(`shoal listening.* addr=(\S+)`)

func (r *region) start() {
	t := r.t
	args := []string{"-region", r.name, "-addr", "127.0.0.1:0", "-data", filepath.Join(r.dir, "data"), "-sync=false",
		"-replication-key-file", filepath.Join(r.dir, "replication-keys"), "-playground=false"}
	for peer, p := range r.peers {
		args = append(args, "-peer", peer+"="+p.URL())
	}
	cmd := exec.Command(serverBinary(t), args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.cmd, r.exited, r.logs = cmd, make(chan struct{}), &bytes.Buffer{}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			r.logMu.Lock()
			r.logs.WriteString(line + "\n")
			r.logMu.Unlock()
			if m := listenRE.FindStringSubmatch(line); m != nil {
				select {
				case addrc <- m[1]:
				default:
				}
			}
		}
	}()
	go func() { cmd.Wait(); close(r.exited) }()
	t.Cleanup(r.kill)
	select {
	case a := <-addrc:
		r.addrMu.Lock()
		r.addr = a
		r.addrMu.Unlock()
	case <-time.After(30 * time.Second):
		t.Fatalf("region %s did not start:\n%s", r.name, r.logText())
	}
	for _, p := range r.fronts {
		p.setTarget(r.base())
	}
	if r.rootKey == "" { // written on the first start; the same after
		key, err := os.ReadFile(filepath.Join(r.dir, "data", "root-key"))
		if err != nil {
			t.Fatal(err)
		}
		r.rootKey = strings.TrimSpace(string(key))
	}
}

func (r *region) logText() string {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	return r.logs.String()
}

// kill stops the process with SIGKILL (kill -9).
func (r *region) kill() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.exited
	for _, p := range r.fronts {
		p.setTarget("")
	}
}

var httpClient = &http.Client{Timeout: 60 * time.Second}

// gql runs a GraphQL operation with the root key and fails on errors.
func (r *region) gql(query string, vars map[string]any) map[string]any {
	r.t.Helper()
	data, err := r.try(query, vars)
	if err != nil {
		r.t.Fatalf("%s: %v", r.name, err)
	}
	return data
}

func (r *region) try(query string, vars map[string]any) (map[string]any, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, "http://"+r.base()+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+r.rootKey)
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	if len(out.Errors) > 0 {
		b, _ := json.Marshal(out.Errors)
		return out.Data, fmt.Errorf("graphql errors: %s", b)
	}
	return out.Data, nil
}

// getJSON GETs a path with the root key.
func (r *region) getJSON(path string, out any) error {
	req, _ := http.NewRequest(http.MethodGet, "http://"+r.base()+path, nil)
	req.Header.Set("Authorization", "Bearer "+r.rootKey)
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %s", resp.Status, b)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// put writes items with batchWriteItems (≤ 25 per call).
func (r *region) put(table string, items ...map[string]any) error {
	var reqs []map[string]any
	for _, it := range items {
		reqs = append(reqs, map[string]any{"table": table, "put": it})
	}
	_, err := r.try(`mutation($r: [WriteRequestInput!]!) { batchWriteItems(input: {requests: $r}) { unprocessed { table } } }`, map[string]any{"r": reqs})
	return err
}

func (r *region) del(table string, key map[string]any) error {
	_, err := r.try(`mutation($k: JSON!, $t: String!) { deleteItem(input: {table: $t, key: $k}) { attributes } }`, map[string]any{"k": key, "t": table})
	return err
}

// dump returns every item of a table (typed JSON, canonical), by key.
func (r *region) dump(table string) (map[string]string, error) {
	out := map[string]string{}
	var after any
	for {
		data, err := r.try(`query($t: String!, $a: Cursor) { scan(table: $t, typed: true, limit: 1000, after: $a) { items cursor } }`, map[string]any{"t": table, "a": after})
		if err != nil {
			return nil, err
		}
		page := data["scan"].(map[string]any)
		for _, it := range page["items"].([]any) {
			m := it.(map[string]any)
			b, _ := json.Marshal(m) // map keys sorted: canonical
			k, _ := json.Marshal(m["id"])
			out[string(k)] = string(b)
		}
		if page["cursor"] == nil {
			return out, nil
		}
		after = page["cursor"]
	}
}

// converge waits until every region holds the same items of table.
func (c *cluster) converge(table string, timeout time.Duration, names ...string) time.Duration {
	c.t.Helper()
	if len(names) == 0 {
		names = c.names
	}
	start := time.Now()
	var last string
	for time.Since(start) < timeout {
		var first map[string]string
		same := true
		for i, n := range names {
			d, err := c.regions[n].dump(table)
			if err != nil {
				last = err.Error()
				same = false
				break
			}
			if i == 0 {
				first = d
				continue
			}
			if diff := diffDumps(first, d); diff != "" {
				last = fmt.Sprintf("%s vs %s: %s", names[0], n, diff)
				same = false
				break
			}
		}
		if same {
			return time.Since(start)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, n := range names {
		d, _ := c.regions[n].dump(table)
		c.t.Logf("%s: %d items; replicas: %v", n, len(d), c.regions[n].replicas(table))
	}
	c.t.Fatalf("table %s did not converge in %s: %s", table, timeout, last)
	return 0
}

func diffDumps(a, b map[string]string) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d items vs %d", len(a), len(b))
	}
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if a[k] != b[k] {
			return fmt.Sprintf("item %s: %s vs %s", k, a[k], b[k])
		}
	}
	return ""
}

func (r *region) replicas(table string) []any {
	data, err := r.try(`query($t: String!) { table(name: $t) { replicas { region status lagMs lastError } } }`, map[string]any{"t": table})
	if err != nil || data["table"] == nil {
		return nil
	}
	return data["table"].(map[string]any)["replicas"].([]any)
}

// waitTable waits until table exists in the region.
func (r *region) waitTable(table string, timeout time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		data, err := r.try(`query($t: String!) { table(name: $t) { name } }`, map[string]any{"t": table})
		if err == nil && data["table"] != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.t.Fatalf("table %s did not appear in %s", table, r.name)
}

func (r *region) base() string {
	r.addrMu.Lock()
	defer r.addrMu.Unlock()
	return r.addr
}
