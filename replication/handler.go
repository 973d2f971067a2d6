package replication

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/shoaldb/shoal/engine"
)

// maxBatchBody bounds a request body of the replication endpoint.
const maxBatchBody = 64 << 20

// Handler serves the replication endpoint: PathCheckpoint, PathCreate,
// PathApply and PathStats. Every call asks authorize (the caller's
// principal must be allowed replication:apply on the table) first.
func (m *Manager) Handler(authorize func(r *http.Request, table string) error) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathCheckpoint, func(w http.ResponseWriter, r *http.Request) {
		table, source := r.URL.Query().Get("table"), r.URL.Query().Get("source")
		if err := authorize(r, table); err != nil {
			writeErr(w, err)
			return
		}
		st, err := m.db.ReplicationCheckpoint(r.Context(), table, source)
		if err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, st)
	})
	mux.HandleFunc("POST "+PathCreate, func(w http.ResponseWriter, r *http.Request) {
		var req createRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBatchBody)).Decode(&req); err != nil {
			writeErr(w, &engine.Error{Code: engine.CodeValidation, Message: "bad request: " + err.Error()})
			return
		}
		var def struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(req.Definition, &def)
		if err := authorize(r, def.Name); err != nil {
			writeErr(w, err)
			return
		}
		if err := m.db.CreateReplicaTable(r.Context(), req.Definition); err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, struct{}{})
	})
	mux.HandleFunc("POST "+PathApply, func(w http.ResponseWriter, r *http.Request) {
		var req applyRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBatchBody)).Decode(&req); err != nil {
			writeErr(w, &engine.Error{Code: engine.CodeValidation, Message: "bad request: " + err.Error()})
			return
		}
		if err := authorize(r, req.Table); err != nil {
			writeErr(w, err)
			return
		}
		resp, err := m.apply(r, &req)
		if err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, resp)
	})
	mux.HandleFunc("GET "+PathStats, func(w http.ResponseWriter, r *http.Request) {
		if err := authorize(r, "*"); err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, m.lags.stats(r.URL.Query().Get("reset") == "1"))
	})
	return mux
}

func (m *Manager) apply(r *http.Request, req *applyRequest) (*applyResponse, error) {
	ctx := r.Context()
	// A newer definition first: it may add the source to the replica set.
	if s := req.Settings; s != nil && slices.ContainsFunc(s.Replicas, func(x engine.Replica) bool { return x.Region == req.Source }) {
		if _, err := m.db.AdoptSettings(ctx, req.Table, *s); err != nil && !isCode(err, engine.CodeNotFound) {
			m.log.Warn("replication: adopt settings", "table", req.Table, "source", req.Source, "err", err)
		}
	}
	changes := make([]engine.ReplicatedChange, len(req.Changes))
	for i, wc := range req.Changes {
		c, err := decodeChange(wc)
		if err != nil {
			return nil, &engine.Error{Code: engine.CodeValidation, Message: err.Error()}
		}
		changes[i] = c
	}
	res, err := m.db.ApplyReplicated(ctx, engine.ApplyInput{Table: req.Table, Source: req.Source, Changes: changes, UpTo: req.UpTo})
	if err != nil {
		return nil, err
	}
	if !req.Seed {
		m.lags.add(res.Lags)
	}
	if req.SeedDone != nil {
		if err := m.db.FinishSeed(ctx, req.Table, req.Source, req.SeedDone.Mark, req.SeedDone.Checkpoints); err != nil {
			return nil, err
		}
		res.Checkpoint = max(res.Checkpoint, req.SeedDone.Mark)
	}
	return &applyResponse{Checkpoint: res.Checkpoint, Applied: res.Applied, Skipped: res.Skipped}, nil
}

func isCode(err error, c engine.Code) bool {
	var e *engine.Error
	return errors.As(err, &e) && e.Code == c
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// writeErr answers an engine error with its code; a source that is not a
// replica gets 410 Gone, so that its shipper stops.
func writeErr(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	resp := errorResponse{Code: string(engine.CodeInternal), Message: err.Error()}
	var e *engine.Error
	if errors.As(err, &e) {
		resp.Code = string(e.Code)
		switch e.Code {
		case engine.CodeValidation:
			status = http.StatusBadRequest
		case engine.CodeNotFound:
			status = http.StatusNotFound
		case engine.CodeAccessDenied:
			status = http.StatusForbidden
		case engine.CodeResourceInUse, engine.CodeTransactionConflict:
			status = http.StatusConflict
		}
	}
	if engine.IsNotReplica(err) {
		status = http.StatusGone
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(resp)
}

// lagRecorder keeps the latest replication-lag samples of applied changes
// (apply time minus the origin's HLC time).
type lagRecorder struct {
	mu      sync.Mutex
	samples []time.Duration
	next    int
	total   int64
}

const lagSamples = 1 << 17

func (l *lagRecorder) add(ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range ds {
		if len(l.samples) < lagSamples {
			l.samples = append(l.samples, d)
		} else {
			l.samples[l.next] = d
			l.next = (l.next + 1) % lagSamples
		}
		l.total++
	}
}

// LagStats summarises replication lag samples, in milliseconds.
type LagStats struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50Ms"`
	P99   float64 `json:"p99Ms"`
	Max   float64 `json:"maxMs"`
}

func (l *lagRecorder) stats(reset bool) LagStats {
	l.mu.Lock()
	s := slices.Clone(l.samples)
	st := LagStats{Count: l.total}
	if reset {
		l.samples, l.next, l.total = nil, 0, 0
	}
	l.mu.Unlock()
	if len(s) == 0 {
		return st
	}
	slices.Sort(s)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	st.P50 = ms(s[len(s)/2])
	st.P99 = ms(s[min(len(s)-1, len(s)*99/100)])
	st.Max = ms(s[len(s)-1])
	return st
}
