package replication

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoaldb/shoal/engine"
)

// Config configures a Manager.
type Config struct {
	DB *engine.DB
	// Peers maps regions to their base URLs (http[s]://host:port); they
	// take precedence over the addresses stored in table definitions.
	Peers map[string]string
	// KeyFile holds the API key presented to peers: one key for every
	// peer, or lines "region=key". It is read again at every connection,
	// so keys may be created after start.
	KeyFile string
	// Client sends the requests (TLS settings); default: a client with a
	// 30 s timeout.
	Client *http.Client
	Logger *slog.Logger
	// BatchRecords and BatchBytes bound one batch (default 500, 1 MiB).
	BatchRecords int
	BatchBytes   int
	// ReconcileInterval is how often the set of shippers follows the
	// tables' replica sets (default 500 ms).
	ReconcileInterval time.Duration
}

// Manager runs the shippers of this region and serves the replication
// endpoint.
type Manager struct {
	cfg  Config
	db   *engine.DB
	log  *slog.Logger
	lags lagRecorder

	mu       sync.Mutex
	shippers map[shipperKey]*shipper
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

type shipperKey struct {
	table string
	id    uint64
	peer  string
}

// New returns a Manager; Start starts its shippers.
func New(cfg Config) *Manager {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BatchRecords <= 0 {
		cfg.BatchRecords = 500
	}
	if cfg.BatchBytes <= 0 {
		cfg.BatchBytes = 1 << 20
	}
	if cfg.ReconcileInterval <= 0 {
		cfg.ReconcileInterval = 500 * time.Millisecond
	}
	m := &Manager{cfg: cfg, db: cfg.DB, log: cfg.Logger, shippers: map[shipperKey]*shipper{}}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	return m
}

// Start runs the shippers until Close.
func (m *Manager) Start() {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(m.cfg.ReconcileInterval)
		defer t.Stop()
		for {
			m.reconcile()
			select {
			case <-m.ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Close stops every shipper and waits for them.
func (m *Manager) Close() {
	m.cancel()
	m.wg.Wait()
}

// reconcile starts a shipper for every (global table, peer) and stops
// those whose table or replica went away.
func (m *Manager) reconcile() {
	tables, err := m.db.GlobalTables(m.ctx)
	if err != nil {
		if m.ctx.Err() == nil {
			m.log.Warn("replication: list global tables", "err", err)
		}
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	want := map[shipperKey]bool{}
	for _, t := range tables {
		for _, r := range t.Settings.Replicas {
			if r.Region == m.db.Region() {
				continue
			}
			k := shipperKey{t.Name, t.ID, r.Region}
			want[k] = true
			s := m.shippers[k]
			if s == nil {
				ctx, cancel := context.WithCancel(m.ctx)
				s = &shipper{m: m, key: k, cancel: cancel}
				s.status.Store("PENDING")
				m.shippers[k] = s
				m.wg.Add(1)
				go func() {
					defer m.wg.Done()
					s.run(ctx)
				}()
			}
			st := t.Settings
			rep := r
			s.settings.Store(&st)
			s.replica.Store(&rep)
		}
	}
	for k, s := range m.shippers {
		if !want[k] {
			s.cancel()
			delete(m.shippers, k)
		}
	}
}

// ReplicaStatus is the state of one replica of a table, as this region
// sees it.
type ReplicaStatus struct {
	Region  string
	Address string
	// Status: ACTIVE (shipping), SEEDING (this region is seeding it),
	// WAITING (it is being seeded by another region), UNREACHABLE,
	// REMOVED (it refused, no longer a replica), PENDING; LOCAL for this
	// region.
	Status string
	// Lag is how long this region's oldest change not yet acknowledged by
	// the replica has waited (0 when it has them all).
	Lag       time.Duration
	LastError string
}

// Status returns the replicas of a global table with their state.
func (m *Manager) Status(ctx context.Context, table string) ([]ReplicaStatus, error) {
	d, err := m.db.DescribeTable(ctx, table)
	if err != nil {
		return nil, err
	}
	var out []ReplicaStatus
	for _, r := range d.Replicas {
		rs := ReplicaStatus{Region: r.Region, Address: r.Address}
		if r.Region == m.db.Region() {
			rs.Status = "LOCAL"
			out = append(out, rs)
			continue
		}
		rs.Status = "PENDING"
		m.mu.Lock()
		s := m.shippers[shipperKey{table, d.ID, r.Region}]
		m.mu.Unlock()
		if s != nil {
			rs.Status = s.status.Load().(string)
			if e, _ := s.lastErr.Load().(string); e != "" {
				rs.LastError = e
			}
		}
		if a := m.address(r); a != "" {
			rs.Address = a
		}
		if l, err := m.db.ReplicationLag(ctx, table, r.Region); err == nil {
			rs.Lag = l.Lag
		}
		out = append(out, rs)
	}
	return out, nil
}

// address is where a replica's region is reached.
func (m *Manager) address(r engine.Replica) string {
	if a := m.cfg.Peers[r.Region]; a != "" {
		return strings.TrimRight(a, "/")
	}
	return strings.TrimRight(r.Address, "/")
}

// key returns the credential to present to a peer region.
func (m *Manager) key(region string) (string, error) {
	if m.cfg.KeyFile == "" {
		return "", nil
	}
	b, err := os.ReadFile(m.cfg.KeyFile)
	if err != nil {
		return "", err
	}
	var single string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if r, k, ok := strings.Cut(line, "="); ok {
			if strings.TrimSpace(r) == region {
				return strings.TrimSpace(k), nil
			}
			continue
		}
		single = line
	}
	if single == "" {
		return "", fmt.Errorf("replication key file %s has no key for region %q", m.cfg.KeyFile, region)
	}
	return single, nil
}

// shipper ships one table's local changes to one peer region.
type shipper struct {
	m        *Manager
	key      shipperKey
	cancel   context.CancelFunc
	settings atomic.Pointer[engine.GlobalSettings]
	replica  atomic.Pointer[engine.Replica]
	status   atomic.Value // string
	lastErr  atomic.Value // string
}

// errGone: the peer says this region is not a replica there.
var errGone = errors.New("the peer refuses this region as a replica of the table")

// errNotReady: the peer is being seeded by another region.
var errNotReady = errors.New("the peer is being seeded by another region")

func (s *shipper) run(ctx context.Context) {
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		err := s.session(ctx)
		if ctx.Err() != nil {
			return
		}
		switch {
		case errors.Is(err, errGone):
			s.status.Store("REMOVED")
		case errors.Is(err, errNotReady):
			s.status.Store("WAITING")
		case err != nil:
			s.status.Store("UNREACHABLE")
		}
		if err != nil {
			s.lastErr.Store(err.Error())
			s.m.log.Debug("replication: shipper", "table", s.key.table, "peer", s.key.peer, "err", err)
		}
		sleep := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return
		case <-time.After(sleep):
		}
		backoff = min(backoff*2, 5*time.Second)
		if err == nil {
			backoff = 50 * time.Millisecond
		}
	}
}

// session connects to the peer, seeds it when this region must, and ships
// the log until an error.
func (s *shipper) session(ctx context.Context) error {
	var st engine.ReplicaState
	q := url.Values{"table": {s.key.table}, "source": {s.m.db.Region()}}
	if err := s.call(ctx, http.MethodGet, PathCheckpoint+"?"+q.Encode(), nil, &st); err != nil {
		return err
	}
	if !st.Exists || st.Seeding {
		if s.replica.Load().SeedFrom != s.m.db.Region() {
			return errNotReady
		}
		s.status.Store("SEEDING")
		mark, err := s.seed(ctx)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		st.Checkpoint = mark
	}
	s.status.Store("ACTIVE")
	s.lastErr.Store("")
	return s.ship(ctx, st.Checkpoint)
}

// seed creates the table at the peer and loads it from one consistent
// snapshot; it returns the snapshot's watermark, from which the log
// follows.
func (s *shipper) seed(ctx context.Context) (uint64, error) {
	def, err := s.m.db.ExportDefinition(ctx, s.key.table)
	if err != nil {
		return 0, err
	}
	if err := s.call(ctx, http.MethodPost, PathCreate, createRequest{Definition: def}, nil); err != nil {
		return 0, err
	}
	start := time.Now()
	snap, err := s.m.db.ScanReplica(ctx, s.key.table, s.m.cfg.BatchRecords, func(cs []engine.ReplicatedChange) error {
		req := applyRequest{Table: s.key.table, Source: s.m.db.Region(), Seed: true, Changes: make([]wireChange, len(cs))}
		for i, c := range cs {
			req.Changes[i] = encodeChange(c)
		}
		return s.call(ctx, http.MethodPost, PathApply, req, nil)
	})
	if err != nil {
		return 0, err
	}
	done := applyRequest{Table: s.key.table, Source: s.m.db.Region(), Settings: s.settings.Load(), Seed: true,
		SeedDone: &seedDone{Mark: snap.Mark, Checkpoints: snap.Checkpoints}}
	if err := s.call(ctx, http.MethodPost, PathApply, done, nil); err != nil {
		return 0, err
	}
	s.m.log.Info("replication: seeded replica", "table", s.key.table, "peer", s.key.peer, "items", snap.Items, "mark", snap.Mark, "took", time.Since(start))
	return snap.Mark, nil
}

// ship sends the local log after `after` in batches, waiting for new
// records when caught up.
func (s *shipper) ship(ctx context.Context, after uint64) error {
	var sentStamp uint64
	_ = s.m.db.SetReplicaAck(ctx, s.key.table, s.key.peer, after)
	idle := time.NewTimer(time.Second)
	defer idle.Stop()
	for {
		page, err := s.m.db.ReadReplicationLog(ctx, s.key.table, after, s.m.cfg.BatchRecords)
		if err != nil {
			return err
		}
		settings := s.settings.Load()
		if len(page.Changes) > 0 || page.Next > after || settings.Stamp > sentStamp {
			req := applyRequest{Table: s.key.table, Source: s.m.db.Region(), UpTo: page.Next}
			if settings.Stamp > sentStamp {
				req.Settings = settings
			}
			size := 0
			for _, c := range page.Changes {
				wc := encodeChange(c)
				size += len(wc.Key) + len(wc.Item) + 64
				req.Changes = append(req.Changes, wc)
				if size >= s.m.cfg.BatchBytes && wc.Seq < page.Next {
					req.UpTo = wc.Seq // the rest goes in the next batch
					break
				}
			}
			var resp applyResponse
			if err := s.call(ctx, http.MethodPost, PathApply, req, &resp); err != nil {
				return err
			}
			sentStamp = max(sentStamp, settings.Stamp)
			after = max(after, req.UpTo)
			if err := s.m.db.SetReplicaAck(ctx, s.key.table, s.key.peer, resp.Checkpoint); err != nil {
				return err
			}
			continue
		}
		if !idle.Stop() {
			select {
			case <-idle.C:
			default:
			}
		}
		idle.Reset(time.Second)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-page.Wait:
		case <-idle.C: // settings may have changed without writes
		}
	}
}

// call sends one request to the peer and decodes its JSON answer.
func (s *shipper) call(ctx context.Context, method, path string, body, out any) error {
	addr := s.m.address(*s.replica.Load())
	if addr == "" {
		return fmt.Errorf("no address for region %q (-peer %s=http://host:port)", s.key.peer, s.key.peer)
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, addr+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	key, err := s.m.key(s.key.peer)
	if err != nil {
		return err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := s.m.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusGone {
		return errGone
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
