package engine

import "sort"

// The change log keeps its most recent committed records in memory, decoded,
// so that the many watchers of a busy table (subscriptions) read them
// without touching the storage, and wakes only the watchers a record may
// concern: those of its partition, and those that watch the whole table.
// A watcher that falls behind the memory window reads from the durable log
// instead, so the window bounds memory, never correctness.

// Bounds of the in-memory window of one table.
const (
	recentMaxRecords = 8192
	recentMaxBytes   = 32 << 20
)

// recentChange is a committed record as stream readers see it.
type recentChange struct {
	change  Change
	visible bool   // false: written only for point-in-time recovery
	pk      string // the encoded partition key, to route wake-ups
	size    int    // the stored record's size, for the window's bound
}

// waiter is a watcher's registration: sig receives a token whenever a
// record it may be interested in becomes readable.
type waiter struct {
	pk  string // "" for the whole table
	sig chan struct{}
}

// recentWindow is the in-memory part of a changeLog; its fields are guarded
// by the changeLog's mutex.
type recentWindow struct {
	records []recentChange // committed records, in sequence order
	head    int            // records[head:] are live
	bytes   int
	// from is the sequence number after which the window is complete:
	// every committed record numbered in (from, watermark] is in records.
	from    uint64
	waiters map[string]map[*waiter]struct{}
	gone    bool // the table was deleted
	// byPK lists, per encoded partition key, the sequence numbers of its
	// records in the window, so a partition's watcher reads only its own.
	byPK map[string]*seqQueue
}

// seqQueue is a FIFO of sequence numbers in increasing order.
type seqQueue struct {
	seqs []uint64
	head int
}

func (q *seqQueue) live() []uint64 { return q.seqs[q.head:] }

func (q *seqQueue) push(s uint64) { q.seqs = append(q.seqs, s) }

// pop drops the oldest number; it reports whether the queue is now empty.
func (q *seqQueue) pop() bool {
	q.head++
	if q.head == len(q.seqs) {
		return true
	}
	if q.head > 64 && q.head > len(q.seqs)/2 {
		q.seqs = append(q.seqs[:0:0], q.seqs[q.head:]...)
		q.head = 0
	}
	return false
}

// append adds a committed record (in sequence order) and evicts the oldest
// beyond the bounds.
func (r *recentWindow) append(rc recentChange) {
	r.records = append(r.records, rc)
	r.bytes += rc.size
	if r.byPK == nil {
		r.byPK = map[string]*seqQueue{}
	}
	q := r.byPK[rc.pk]
	if q == nil {
		q = &seqQueue{}
		r.byPK[rc.pk] = q
	}
	q.push(rc.change.Seq)
	for len(r.records)-r.head > recentMaxRecords || r.bytes > recentMaxBytes {
		old := r.records[r.head]
		r.records[r.head] = recentChange{}
		r.head++
		r.bytes -= old.size
		r.from = old.change.Seq
		if r.byPK[old.pk].pop() {
			delete(r.byPK, old.pk)
		}
	}
	if r.head > len(r.records)/2 && r.head > 1024 {
		r.records = append(r.records[:0:0], r.records[r.head:]...)
		r.head = 0
	}
	r.notify(rc.pk)
}

func (r *recentWindow) notify(pk string) {
	for _, key := range []string{pk, ""} {
		for w := range r.waiters[key] {
			select {
			case w.sig <- struct{}{}:
			default: // already signalled
			}
		}
	}
}

// register returns a waiter for the records of one encoded partition key
// ("" for all).
func (l *changeLog) register(pk string) *waiter {
	w := &waiter{pk: pk, sig: make(chan struct{}, 1)}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.recent.waiters == nil {
		l.recent.waiters = map[string]map[*waiter]struct{}{}
	}
	set := l.recent.waiters[pk]
	if set == nil {
		set = map[*waiter]struct{}{}
		l.recent.waiters[pk] = set
	}
	set[w] = struct{}{}
	if l.recent.gone {
		w.sig <- struct{}{}
	}
	return w
}

func (l *changeLog) unregister(w *waiter) {
	l.mu.Lock()
	defer l.mu.Unlock()
	set := l.recent.waiters[w.pk]
	delete(set, w)
	if len(set) == 0 {
		delete(l.recent.waiters, w.pk)
	}
}

// close marks the table deleted and wakes every watcher.
func (l *changeLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recent.gone = true
	for _, set := range l.recent.waiters {
		for w := range set {
			select {
			case w.sig <- struct{}{}:
			default:
			}
		}
	}
}

// readRecent returns the visible records numbered in (after, watermark], at
// most limit, from memory: all of them, or with pk != "" those of one
// encoded partition key. ok is false when the window does not reach back to
// after (read the durable log instead). next is the number to continue
// after.
func (l *changeLog) readRecent(after uint64, limit int, pk string) (out []Change, next uint64, gone, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := &l.recent
	if r.gone {
		return nil, after, true, true
	}
	if after < r.from {
		return nil, after, false, false
	}
	mark := l.watermarkLocked()
	live := r.records[r.head:]
	at := func(seq uint64) *recentChange { // records are in sequence order
		i := sort.Search(len(live), func(i int) bool { return live[i].change.Seq >= seq })
		return &live[i]
	}
	var seqs []uint64
	if pk == "" {
		i := sort.Search(len(live), func(i int) bool { return live[i].change.Seq > after })
		for ; i < len(live) && len(out) < limit; i++ {
			if live[i].visible {
				out = append(out, live[i].change)
			}
			next = live[i].change.Seq
		}
		if i < len(live) {
			return out, next, false, true // the limit cut the page short
		}
		return out, mark, false, true
	}
	if q := r.byPK[pk]; q != nil {
		seqs = q.live()
	}
	i := sort.Search(len(seqs), func(i int) bool { return seqs[i] > after })
	for ; i < len(seqs) && len(out) < limit; i++ {
		if rc := at(seqs[i]); rc.visible {
			out = append(out, rc.change)
		}
		next = seqs[i]
	}
	if i < len(seqs) {
		return out, next, false, true
	}
	// Every record up to the watermark is in the window: nothing else of
	// this partition is readable.
	return out, mark, false, true
}
