package detect

import (
	"hash/maphash"
	"sync"
	"time"
)

// The engine's memory, shared by every goroutine that evaluates events,
// fixed in size at New (no allocation afterwards):
//
//   - the auditIDs that alerted last (dedupSize 64-bit hashes, 4-way
//     set-associative, the oldest of a set replaced), each with the stage
//     that alerted: the second stage of one request (ResponseStarted then
//     ResponseComplete of an exec) does not alert again, while the same
//     event seen again (Fluent Bit flushing a chunk again after a retry)
//     is judged as it was the first time, so that its document is the
//     same bytes and the delivery's dedup (the Elasticsearch _id, the
//     memory of accepted requests) still recognizes it;
//   - K8S-S01: denialSlots identities (username, or the source IP for an
//     empty one), each with the window's start and up to distinctMax
//     distinct targets (hashes of resource/subresource or of the path for a
//     non-resource request); it fires once per window when an identity
//     reaches distinctDenials distinct denied targets, and again for the
//     very event that fired (same auditID and stage) when it is seen again;
//   - K8S-S03: secretSlots (user, source IP, user agent) triples, each with
//     up to distinctMax distinct secret names; fires once per window at
//     distinctSecrets.
//
// Slots are direct-mapped by hash: a new identity takes the place of the
// one there when that one's window has passed, or when the slot's owner
// has been idle longest (ties favour the newcomer), so memory is
// dedupSize*16 + (denialSlots+secretSlots)*(8*(distinctMax+4)) bytes,
// about 450 KiB, whatever the traffic.

const (
	dedupSize       = 4096
	denialSlots     = 2048
	secretSlots     = 2048
	distinctMax     = 8
	distinctDenials = 5
	distinctSecrets = 3

	defaultDenialWindow = 10 * time.Minute
	defaultSecretWindow = 5 * time.Minute
)

type slot struct {
	key      uint64
	start    int64 // window start (ns)
	n        uint8
	fired    bool
	firedBy  uint64 // the event (hash of auditID and stage) that fired
	distinct [distinctMax]uint64
}

type state struct {
	mu   sync.Mutex
	seed maphash.Seed

	// seenSet: 4-way set-associative, a set's oldest entry replaced;
	// seenStage[i][j] is the hash of the stage that alerted for seenSet[i][j].
	seenSet   [dedupSize / 4][4]uint64
	seenStage [dedupSize / 4][4]uint64
	seenNext  [dedupSize / 4]uint8

	denialWin, secretWin int64
	denials              [denialSlots]slot
	secrets              [secretSlots]slot
}

func newState(denial, secret time.Duration) *state {
	if denial <= 0 {
		denial = defaultDenialWindow
	}
	if secret <= 0 {
		secret = defaultSecretWindow
	}
	return &state{seed: maphash.MakeSeed(), denialWin: int64(denial), secretWin: int64(secret)}
}

// hash hashes one to three byte strings (nil for the missing ones) as a
// tuple; 0 is never returned (it marks an empty entry).
func (s *state) hash(a, b, c []byte) uint64 {
	h := maphash.Bytes(s.seed, a)
	if b != nil || c != nil {
		h = (h ^ uint64(len(a))) * 0x9e3779b97f4a7c15
		h ^= maphash.Bytes(s.seed, b)
		h = (h ^ uint64(len(b))) * 0xff51afd7ed558ccd
		h ^= maphash.Bytes(s.seed, c)
	}
	return h | 1
}

// suppressed records that auditID alerted at stage and reports whether an
// earlier alert of that auditID was at another stage (this one is then
// the same request's second alert). The same auditID and stage again is
// a replay of the event that alerted, and is not suppressed.
func (s *state) suppressed(auditID, stage []byte) bool {
	h := s.hash(auditID, nil, nil)
	st := s.hash(stage, nil, nil)
	i := (h >> 1) % uint64(len(s.seenSet))
	s.mu.Lock()
	defer s.mu.Unlock()
	set := &s.seenSet[i]
	for j, x := range set {
		if x == h {
			return s.seenStage[i][j] != st
		}
	}
	j := s.seenNext[i] & 3
	set[j], s.seenStage[i][j] = h, st
	s.seenNext[i]++
	return false
}

// count adds target to the identity key's window in table and reports
// whether it reached threshold distinct targets for the first time in
// that window, or whether event (a hash of auditID and stage; 0 for an
// event without auditID) is the one that did, seen again.
func count(table []slot, key, target, event uint64, now, window int64, threshold int) bool {
	sl := &table[key%uint64(len(table))]
	if sl.key != key || now-sl.start > window || now < sl.start-window {
		*sl = slot{key: key, start: now}
	}
	for _, d := range sl.distinct[:sl.n] {
		if d == target {
			return sl.fired && event != 0 && sl.firedBy == event
		}
	}
	if int(sl.n) < distinctMax {
		sl.distinct[sl.n] = target
		sl.n++
	}
	if int(sl.n) >= threshold && !sl.fired {
		sl.fired, sl.firedBy = true, event
		return true
	}
	return false
}

// stateful evaluates K8S-S01 and K8S-S03 on f.
func (e *Engine) stateful(f *Fields, cls uint32, out *Matches) {
	if f.Time == 0 {
		return
	}
	s01 := e.enabled.Has(iS01) && f.denied()
	s03 := e.enabled.Has(iS03) && cls == cSecrets && string(f.Verb) == "get" && len(f.Name) > 0 && f.ok() &&
		!f.loopback() && !hasPrefix(f.Name, "sh.helm.release.")
	if !s01 && !s03 || e.trusted(f) {
		return
	}
	st := e.st
	var event uint64
	if len(f.AuditID) > 0 {
		event = st.hash(f.AuditID, f.Stage, nil)
	}
	var ip []byte
	if len(f.SourceIPs) > 0 {
		ip = f.SourceIPs[0]
	}
	if s01 {
		id := f.User
		if len(id) == 0 {
			id = ip
		}
		key := st.hash(id, nil, nil)
		var target uint64
		if len(f.Resource) > 0 {
			target = st.hash(f.Resource, f.Subresource, nil)
		} else {
			target = st.hash(f.path(), nil, nil)
		}
		st.mu.Lock()
		fire := count(st.denials[:], key, target, event, f.Time, st.denialWin, distinctDenials)
		st.mu.Unlock()
		if fire {
			out.add(iS01, rules[iS01].Severity)
		}
	}
	if s03 {
		key := st.hash(f.User, ip, f.UserAgent)
		target := st.hash(f.Namespace, f.Name, nil)
		st.mu.Lock()
		fire := count(st.secrets[:], key, target, event, f.Time, st.secretWin, distinctSecrets)
		st.mu.Unlock()
		if fire {
			out.add(iS03, rules[iS03].Severity)
		}
	}
}

// WantsTime reports whether the stateful rules read Fields.Time of an
// event with this code, decision, resource and verb: a caller can skip
// resolving the time of the others.
func (e *Engine) WantsTime(code int64, decision, resource, verb []byte) bool {
	if e.enabled.Has(iS01) && (code == 401 || code == 403 || string(decision) == "forbid") {
		return true
	}
	return e.enabled.Has(iS03) && string(resource) == "secrets" && string(verb) == "get"
}
