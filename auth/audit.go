package auth

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/shoaldb/shoal/engine"
)

// AuditEvent is one entry of the audit log. Entries form a hash chain:
// Hash is the SHA-256 of the entry's JSON form with Hash empty, and Prev is
// the Hash of the entry before, so changing, removing or reordering a
// stored entry breaks the chain (VerifyAudit finds where).
type AuditEvent struct {
	Seq       uint64 `json:"seq"`
	Time      string `json:"time"` // RFC 3339, UTC, nanoseconds
	Principal string `json:"principal"`
	Action    string `json:"action"`
	Resource  string `json:"resource"`
	Source    string `json:"source"`
	// Outcome is "ok", "denied", "denied: <reason>" or "error: <CODE>".
	Outcome   string `json:"outcome"`
	RequestID string `json:"requestId"`
	Prev      string `json:"prev"`
	Hash      string `json:"hash"`
}

func (e *AuditEvent) digest() string {
	c := *e
	c.Hash = ""
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// auditLog appends events with group commit: one writer goroutine takes
// every event waiting and appends them in one transaction, so concurrent
// requests share a commit (and its fsync) instead of conflicting on the
// chain's head.
type auditLog struct {
	meta  *engine.Meta
	clock func() time.Time
	log   *slog.Logger
	ch    chan pendingEvent
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

type pendingEvent struct {
	ev   AuditEvent
	done chan error
}

var headKey = []byte("h")

func entryKey(seq uint64) []byte { return binary.BigEndian.AppendUint64([]byte("e"), seq) }

func openAudit(db *engine.DB, opts Options) (*auditLog, error) {
	m, err := db.Meta("auth.audit")
	if err != nil {
		return nil, err
	}
	a := &auditLog{meta: m, clock: opts.Clock, log: opts.Logger, ch: make(chan pendingEvent, 1024),
		stop: make(chan struct{}), done: make(chan struct{})}
	go a.run()
	return a, nil
}

func (a *auditLog) close() {
	a.once.Do(func() { close(a.stop) })
	<-a.done
}

// record appends ev and waits until it is stored. Errors are logged: a
// failing audit log does not fail the request it records.
func (a *auditLog) record(ev AuditEvent) {
	ev.Time = a.clock().UTC().Format(time.RFC3339Nano)
	p := pendingEvent{ev: ev, done: make(chan error, 1)}
	select {
	case a.ch <- p:
	case <-a.stop:
		a.log.Error("audit log closed; event dropped", "action", ev.Action, "principal", ev.Principal)
		return
	}
	if err := <-p.done; err != nil {
		a.log.Error("audit log write failed", "err", err, "action", ev.Action, "principal", ev.Principal)
	}
}

func (a *auditLog) run() {
	defer close(a.done)
	for {
		var batch []pendingEvent
		select {
		case p := <-a.ch:
			batch = append(batch, p)
		case <-a.stop:
			// Store what is queued, then stop.
			for {
				select {
				case p := <-a.ch:
					batch = append(batch, p)
					continue
				default:
				}
				break
			}
			if len(batch) > 0 {
				a.write(batch)
			}
			return
		}
	more:
		for len(batch) < 512 {
			select {
			case p := <-a.ch:
				batch = append(batch, p)
			default:
				break more
			}
		}
		a.write(batch)
	}
}

type auditHead struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

func (a *auditLog) write(batch []pendingEvent) {
	err := a.meta.Update(context.Background(), func(tx *engine.MetaTxn) error {
		var head auditHead
		if b, ok, err := tx.Get(headKey); err != nil {
			return err
		} else if ok {
			if err := json.Unmarshal(b, &head); err != nil {
				return fmt.Errorf("audit head: %w", err)
			}
		}
		for i := range batch {
			ev := batch[i].ev
			ev.Seq, ev.Prev = head.Seq+1, head.Hash
			ev.Hash = ev.digest()
			b, _ := json.Marshal(ev)
			if err := tx.Put(entryKey(ev.Seq), b); err != nil {
				return err
			}
			head = auditHead{ev.Seq, ev.Hash}
		}
		b, _ := json.Marshal(head)
		return tx.Put(headKey, b)
	})
	for _, p := range batch {
		p.done <- err
	}
}

// ---------------------------------------------------------------- noting decisions

type decision struct {
	p                *Principal
	action, resource string
	allowed          bool
}

type scopeKey struct{}

type callScope struct {
	mu        sync.Mutex
	decisions []decision
}

// Audit opens an audit scope for one call (a GraphQL root field): the
// authorization decisions made with the returned context are recorded when
// finish is called with the call's error, so that the outcome ("ok",
// "denied", "error: CODE") is known. Control-plane calls and denials are
// always recorded; data-plane calls with Options.AuditDataPlane. Without a
// scope, Authorize records at once with outcome "ok" or "denied".
func (s *Service) Audit(ctx context.Context) (context.Context, func(err error)) {
	sc := &callScope{}
	return context.WithValue(ctx, scopeKey{}, sc), func(err error) {
		sc.mu.Lock()
		ds := sc.decisions
		sc.decisions = nil
		sc.mu.Unlock()
		for _, d := range ds {
			out := "ok"
			switch {
			case !d.allowed:
				out = "denied"
			case err != nil:
				out = "error: " + string(engine.CodeOf(err))
			}
			s.recordDecision(d, out)
		}
	}
}

func (s *Service) note(ctx context.Context, p *Principal, action, resource string, allowed bool) {
	d := decision{p, action, resource, allowed}
	if sc, ok := ctx.Value(scopeKey{}).(*callScope); ok {
		sc.mu.Lock()
		sc.decisions = append(sc.decisions, d)
		sc.mu.Unlock()
		return
	}
	out := "ok"
	if !allowed {
		out = "denied"
	}
	s.recordDecision(d, out)
}

func (s *Service) recordDecision(d decision, outcome string) {
	if d.allowed && !controlPlane(d.action) && !s.opts.AuditDataPlane {
		return
	}
	s.audit.record(AuditEvent{Principal: d.p.ID, Action: d.action, Resource: d.resource,
		Source: addrString(d.p.Source), Outcome: outcome, RequestID: d.p.RequestID})
}

// ---------------------------------------------------------------- reading

// AuditQuery selects audit events; zero fields select everything.
type AuditQuery struct {
	From, To  time.Time // To is exclusive
	Principal string
	// Action matches exactly, or as a prefix when it ends in "*".
	Action string
	// Limit caps the events returned, newest first; default 100, at most
	// 1000.
	Limit int
}

// AuditEvents returns the matching events, newest first. It walks the log
// from its end, so a narrow query over old events reads much of the log.
func (s *Service) AuditEvents(ctx context.Context, q AuditQuery) ([]AuditEvent, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, 1000)
	var out []AuditEvent
	var before []byte
	for len(out) < q.Limit {
		es, err := s.audit.meta.ScanReverse(ctx, []byte("e"), before, 1000)
		if err != nil {
			return nil, err
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			var ev AuditEvent
			if err := json.Unmarshal(e.Value, &ev); err != nil {
				return nil, fmt.Errorf("audit entry: %w", err)
			}
			t, _ := time.Parse(time.RFC3339Nano, ev.Time)
			if !q.From.IsZero() && t.Before(q.From) {
				return out, nil // the log is in time order, give or take a batch
			}
			if !q.To.IsZero() && !t.Before(q.To) || q.Principal != "" && ev.Principal != q.Principal || !actionMatch(q.Action, ev.Action) {
				continue
			}
			out = append(out, ev)
			if len(out) == q.Limit {
				break
			}
		}
		before = es[len(es)-1].Key
	}
	return out, nil
}

func actionMatch(q, a string) bool {
	if q == "" {
		return true
	}
	if p, ok := strings.CutSuffix(q, "*"); ok {
		return strings.HasPrefix(a, p)
	}
	return q == a
}

// AuditReport is the result of VerifyAudit.
type AuditReport struct {
	OK      bool
	Entries uint64
	// FirstBad is the sequence number of the first entry that breaks the
	// chain (0 when OK); Problem says how.
	FirstBad uint64
	Problem  string
}

// VerifyAudit walks the whole audit log and checks its hash chain: every
// entry's hash, every link to the entry before, the sequence numbers, and
// that the chain ends at the stored head (so removing the newest entries
// is found too).
func (s *Service) VerifyAudit(ctx context.Context) (*AuditReport, error) {
	rep := &AuditReport{OK: true}
	fail := func(seq uint64, format string, args ...any) (*AuditReport, error) {
		rep.OK, rep.FirstBad, rep.Problem = false, seq, fmt.Sprintf(format, args...)
		return rep, nil
	}
	var prev string
	var after []byte
	for {
		es, err := s.audit.meta.Scan(ctx, []byte("e"), after, 1000)
		if err != nil {
			return nil, err
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			want := rep.Entries + 1
			var ev AuditEvent
			if err := json.Unmarshal(e.Value, &ev); err != nil {
				return fail(want, "entry %d cannot be decoded", want)
			}
			if len(e.Key) != 9 || binary.BigEndian.Uint64(e.Key[1:]) != want || ev.Seq != want {
				return fail(want, "entry %d is missing or out of place", want)
			}
			if ev.Prev != prev {
				return fail(want, "entry %d does not link to entry %d", want, want-1)
			}
			if ev.digest() != ev.Hash {
				return fail(want, "entry %d was changed after it was written", want)
			}
			prev = ev.Hash
			rep.Entries++
		}
		after = es[len(es)-1].Key
	}
	b, ok, err := s.audit.meta.Get(ctx, headKey)
	if err != nil {
		return nil, err
	}
	var head auditHead
	if ok {
		if err := json.Unmarshal(b, &head); err != nil {
			return fail(rep.Entries+1, "the chain head cannot be decoded")
		}
	}
	if head.Seq != rep.Entries || head.Hash != prev {
		return fail(rep.Entries+1, "the chain ends at entry %d but its head says %d: entries were removed", rep.Entries, head.Seq)
	}
	return rep, nil
}

// ---------------------------------------------------------------- policy history

// Change is one versioned change of the access configuration: a role, a
// group binding or an API key (without its hash), before and after (nil
// for a creation or a deletion).
type Change struct {
	Version   uint64          `json:"version"`
	Time      time.Time       `json:"time"`
	Principal string          `json:"principal"`
	Kind      string          `json:"kind"` // role, binding, apikey
	Name      string          `json:"name"`
	Before    json.RawMessage `json:"before"`
	After     json.RawMessage `json:"after"`
}

func (s *Service) recordChange(ctx context.Context, kind, name string, before, after any) error {
	bb, _ := json.Marshal(before)
	ab, _ := json.Marshal(after)
	c := Change{Time: s.now().UTC(), Principal: actor(ctx), Kind: kind, Name: name, Before: bb, After: ab}
	return s.hist.Update(ctx, func(tx *engine.MetaTxn) error {
		var last uint64
		if b, ok, err := tx.Get([]byte("n")); err != nil {
			return err
		} else if ok {
			last = binary.BigEndian.Uint64(b)
		}
		c.Version = last + 1
		b, _ := json.Marshal(c)
		if err := tx.Put(binary.BigEndian.AppendUint64([]byte("v"), c.Version), b); err != nil {
			return err
		}
		return tx.Put([]byte("n"), binary.BigEndian.AppendUint64(nil, c.Version))
	})
}

// PolicyHistory returns the changes of the access configuration, oldest
// first; name, when not empty, keeps the changes of that role, group or
// key id.
func (s *Service) PolicyHistory(ctx context.Context, name string) ([]Change, error) {
	es, err := s.hist.Scan(ctx, []byte("v"), nil, 0)
	if err != nil {
		return nil, err
	}
	var out []Change
	for _, e := range es {
		var c Change
		if err := json.Unmarshal(e.Value, &c); err != nil {
			return nil, err
		}
		if name == "" || c.Name == name {
			out = append(out, c)
		}
	}
	return out, nil
}
