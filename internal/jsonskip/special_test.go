package jsonskip

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/k8saudit/k8saudit/internal/jsonw"
)

// refIndexSpecial is the byte-wise definition IndexSpecial must match.
func refIndexSpecial(s []byte) int {
	for i, c := range s {
		if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			return i
		}
	}
	return len(s)
}

func checkIndexSpecial(t *testing.T, s []byte) {
	t.Helper()
	if got, want := IndexSpecial(s), refIndexSpecial(s); got != want {
		t.Fatalf("IndexSpecial(%q) = %d, want %d", s, got, want)
	}
}

// TestIndexSpecial puts every byte value at every position of every length
// up to 80, which covers each code path of the assembly (byte loop, the two
// overlapping small loads, the 16- and 64-byte loops, the overlapping last
// load) with the hit in each lane. A second, later special byte checks that
// the first one wins, including in the bytes two loads share.
func TestIndexSpecial(t *testing.T) {
	const maxLen = 80
	buf := make([]byte, maxLen)
	for n := 0; n <= maxLen; n++ {
		s := buf[:n]
		for i := range s {
			s[i] = 'a'
		}
		checkIndexSpecial(t, s)
		for p := 0; p < n; p++ {
			for c := 0; c < 256; c++ {
				s[p] = byte(c)
				checkIndexSpecial(t, s)
				if p+1 < n {
					s[n-1] = '"'
					checkIndexSpecial(t, s)
					s[n-1] = 'a'
				}
			}
			s[p] = 'a'
		}
	}
}

// TestIndexSpecialRandom mixes mostly plain text with sparse special bytes,
// at random offsets into a larger buffer so loads are unaligned too.
func TestIndexSpecialRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 1<<12)
	for range 20000 {
		for i := range buf {
			buf[i] = byte(0x20 + r.IntN(0x5f))
		}
		rate := 1 + r.IntN(400)
		for i := range buf {
			if r.IntN(rate) == 0 {
				buf[i] = byte(r.IntN(256))
			}
		}
		off := r.IntN(64)
		n := r.IntN(len(buf) - off)
		checkIndexSpecial(t, buf[off:off+n])
	}
}

func FuzzIndexSpecial(f *testing.F) {
	for _, s := range []string{
		"", "a", `"`, `\`, "\x00", "\x1f", " ", "\x7f", "\x80", "\xff",
		"plain ascii text without any special byte in it at all",
		`0123456789abcdef0123456789abcde"`,
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\xc3\xa9",
		"short\n", `esc\"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		for i := 0; i <= len(s) && i < 64; i++ {
			checkIndexSpecial(t, s[i:])
		}
	})
}

// benchInputs: base64-like text with an escaped newline every 65 bytes (a
// Secret or ConfigMap value in an audit body), plain text of 4 KB and
// 200 KB, text with a '"' every 8 bytes (escaped JSON in a string, as in
// last-applied-configuration), and short clean strings.
func benchInputs() []struct {
	name string
	s    []byte
} {
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var line bytes.Buffer
	for line.Len() < 200<<10 {
		line.WriteString(b64)
		line.WriteString(`\n`)
	}
	plain := bytes.Repeat([]byte(b64), 200<<10/len(b64))
	dense := bytes.Repeat([]byte(`abcdefg"`), 4<<10/8)
	ins := []struct {
		name string
		s    []byte
	}{
		{"base64-200KB", line.Bytes()},
		{"plain-4KB", plain[:4<<10]},
		{"plain-200KB", plain},
		{"quote8-4KB", dense},
	}
	for _, n := range []int{8, 16, 24, 40} {
		ins = append(ins, struct {
			name string
			s    []byte
		}{"short-" + strconv.Itoa(n), plain[:n]})
	}
	return ins
}

// BenchmarkIndexSpecial scans each input as a string scan does: a call per
// special byte, each starting where the last one stopped, so the latency of
// a call counts and not only its throughput.
func BenchmarkIndexSpecial(b *testing.B) {
	for _, in := range benchInputs() {
		s := in.s
		b.Run("asm/"+in.name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				for i := 0; i < len(s); {
					i += IndexSpecial(s[i:]) + 1
				}
			}
		})
		b.Run("nextSpecial/"+in.name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				for i := 0; i < len(s); {
					i = jsonw.NextSpecial(s, i) + 1
				}
			}
		})
	}
}

// refSkipString is the byte-wise definition SkipString must match.
func refSkipString(s []byte) (n int, esc bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			if i+1 < len(s) && strings.IndexByte(`"\/bfnrt`, s[i+1]) >= 0 {
				esc = true
				i++
				continue
			}
			return i, esc
		case c == '"' || c < 0x20 || c >= 0x80:
			return i, esc
		}
	}
	return len(s), esc
}

// goSkipString is the SkipString of special_other.go, the loop of
// (*scanner).str: kept here so that amd64 can test it too and benchmark the
// assembly against it.
func goSkipString(s []byte) (n int, esc bool) {
	i := 0
	for {
		for i+16 <= len(s) {
			w := s[i : i+16 : i+16]
			m0, m1 := jsonw.SpecialMask(binary.LittleEndian.Uint64(w[:8])), jsonw.SpecialMask(binary.LittleEndian.Uint64(w[8:]))
			if m0 != 0 {
				i += bits.TrailingZeros64(m0) >> 3
				goto look
			}
			if m1 != 0 {
				i += 8 + bits.TrailingZeros64(m1)>>3
				goto look
			}
			i += 16
		}
		for ; i < len(s); i++ {
			if c := s[i]; c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
				goto look
			}
		}
		return i, esc
	look:
		if s[i] != '\\' || i+1 >= len(s) {
			return i, esc
		}
		switch s[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			esc = true
			i += 2
		default:
			return i, esc
		}
	}
}

// idxSkipString is SkipString as a caller of IndexSpecial would write it:
// back in Go at every backslash. Benchmarked only, for the gain over it.
func idxSkipString(s []byte) (n int, esc bool) {
	for i := 0; ; {
		i += IndexSpecial(s[i:])
		if i+1 >= len(s) || s[i] != '\\' {
			return i, esc
		}
		switch s[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			esc = true
			i += 2
		default:
			return i, esc
		}
	}
}

func checkSkipString(t testing.TB, s []byte) {
	t.Helper()
	wn, we := refSkipString(s)
	if n, e := SkipString(s); n != wn || e != we {
		t.Fatalf("SkipString(%q) = %d, %v, want %d, %v", s, n, e, wn, we)
	}
	if n, e := goSkipString(s); n != wn || e != we {
		t.Fatalf("goSkipString(%q) = %d, %v, want %d, %v", s, n, e, wn, we)
	}
}

// skipMaxLen bounds the lengths of the exhaustive tests: they reach every
// path of the assembly with the hit in each place. Under 16 bytes the two
// overlapping small loads (or three byte loads), 16-79 the first block
// alone then the 16-byte loop and its tail, 80-111 the 64-byte loop after
// it, then the 16-byte loop and the tail.
const skipMaxLen = 112

// allBytes holds the 256 byte values; skipValues one of each kind for
// SkipString (TestIndexSpecial has tried every value in every lane of the
// same masks).
var (
	allBytes = func() (b []byte) {
		for c := range 256 {
			b = append(b, byte(c))
		}
		return b
	}()
	skipValues = []byte("\x00\x1f \"\\/bfnrtua\x7f\x80\xc3\xff")
)

// TestSkipStringOneByte puts a byte at every position of every length,
// alone and then before a closing quote at the end, and a backslash with
// that byte after it, so an escape's second byte lies in every lane, in
// the next block and past the end. Up to 40 bytes, every byte value; past
// that, one of each kind. The byte after s is an 'n': a look past the end
// at a final backslash would take it for an escape.
func TestSkipStringOneByte(t *testing.T) {
	buf := make([]byte, skipMaxLen+1)
	for n := 0; n <= skipMaxLen; n++ {
		s := buf[:n:n]
		buf[n] = 'n'
		for i := range s {
			s[i] = 'a'
		}
		checkSkipString(t, s)
		values := skipValues
		if n <= 40 {
			values = allBytes
		}
		for p := range n {
			for _, c := range values {
				s[p] = c
				checkSkipString(t, s)
				if p+1 < n {
					s[n-1] = '"'
					checkSkipString(t, s)
					s[n-1] = 'a'
					s[p], s[p+1] = '\\', c
					checkSkipString(t, s)
					if p+2 < n {
						s[n-1] = '"'
						checkSkipString(t, s)
						s[n-1] = 'a'
					}
					s[p+1] = 'a'
				}
			}
			s[p] = 'a'
		}
	}
}

// TestSkipStringPairs puts a backslash at p and a '\\' or '"' at every q
// after it, over plain text and over 'n's (where every backslash starts a
// valid escape): \\ and \" pairs that end in the next block, \\" where the
// quote ends the string, chains of escapes taken from one mask.
func TestSkipStringPairs(t *testing.T) {
	buf := make([]byte, skipMaxLen)
	for n := 0; n <= skipMaxLen; n++ {
		s := buf[:n]
		for _, fill := range []byte{'a', 'n'} {
			for i := range s {
				s[i] = fill
			}
			for p := range n {
				s[p] = '\\'
				for q := p + 1; q < n; q++ {
					for _, c := range []byte{'\\', '"', 0x01} {
						s[q] = c
						checkSkipString(t, s)
					}
					s[q] = fill
				}
				s[p] = fill
			}
		}
	}
}

// TestSkipStringRuns puts a run of k backslashes at every position, then a
// quote: the quote ends the string when k is even and is escaped when k is
// odd.
func TestSkipStringRuns(t *testing.T) {
	buf := make([]byte, skipMaxLen)
	for n := 0; n <= skipMaxLen; n++ {
		s := buf[:n]
		for k := 1; k <= 7; k++ {
			for p := 0; p+k <= n; p++ {
				for i := range s {
					s[i] = 'a'
				}
				for i := p; i < p+k; i++ {
					s[i] = '\\'
				}
				checkSkipString(t, s)
				if p+k < n {
					s[p+k] = '"'
					checkSkipString(t, s)
				}
			}
		}
	}
}

// TestSkipStringAlphabet tries every string of up to 6 bytes over an
// alphabet of one of each kind of byte (0xc3 stands for all the bytes that
// stop the scan), at offsets into plain text that put it across each
// block boundary, with and without text after it.
func TestSkipStringAlphabet(t *testing.T) {
	const alpha = "a\\\"nu\xc3"
	var word [6]byte
	buf := make([]byte, 0, 200)
	for l := 0; l <= len(word); l++ {
		total := 1
		for range l {
			total *= len(alpha)
		}
		for k := range total {
			for i, x := 0, k; i < l; i, x = i+1, x/len(alpha) {
				word[i] = alpha[x%len(alpha)]
			}
			for _, off := range []int{0, 1, 8, 12, 14, 15, 16, 31, 79, 80, 95} {
				for _, after := range []int{0, 1, 9} {
					buf = buf[:0]
					for range off {
						buf = append(buf, 'a')
					}
					buf = append(buf, word[:l]...)
					for range after {
						buf = append(buf, 'a')
					}
					checkSkipString(t, buf)
				}
			}
		}
	}
}

// TestSkipStringDense runs the dense loop of the assembly. A string that
// opens with three \" escapes goes there at byte 2, once the hit loop has
// taken the first one with more special bytes and 130 bytes left, so its
// blocks start at 2 and 66, and the rest, under 64 bytes from 130 or a
// block and under 64 from 194, goes through its tail block at each offset.
// Over fills that keep it in the loop (an escape every few bytes, \n
// escapes it must look up, backslash runs across its blocks) and one that
// makes it leave (plain text), a byte of each kind, a backslash before a
// byte of each kind, and runs of backslashes before a quote go at every
// position. The byte after s is an 'n', as in TestSkipStringOneByte.
func TestSkipStringDense(t *testing.T) {
	const minLen, maxLen = 130, 200
	buf := make([]byte, maxLen+1)
	for _, fill := range []string{`abcdef\"`, `\n`, `\\`, `x\\\"`, `a\\b\"c\/`, "abcdefgh"} {
		for n := minLen; n <= maxLen; n++ {
			s := buf[:n:n]
			buf[n] = 'n'
			reset := func() {
				copy(s, `\"\"\"`)
				for i := 6; i < n; i++ {
					s[i] = fill[(i-6)%len(fill)]
				}
			}
			reset()
			checkSkipString(t, s)
			for p := 6; p < n; p++ {
				for _, c := range skipValues {
					s[p] = c
					checkSkipString(t, s)
					if p+1 < n {
						s[p], s[p+1] = '\\', c
						checkSkipString(t, s)
					}
					reset()
				}
				for k := 1; k <= 4 && p+k <= n; k++ {
					for i := p; i < p+k; i++ {
						s[i] = '\\'
					}
					checkSkipString(t, s)
					if p+k < n {
						s[p+k] = '"'
						checkSkipString(t, s)
					}
					reset()
				}
			}
		}
	}
}

// randomSkipInput fills buf from an alphabet weighted to the bytes that
// matter: plain letters mostly, then backslashes, quotes, 'n' (a valid
// escape after a backslash), 'u' (one the caller handles), a control
// character and a UTF-8 lead byte. Half the inputs have no quote, so that
// scans run on to the tail.
func randomSkipInput(r *rand.Rand, buf []byte) {
	const special = "\\\\\\\\\"nnuu\x01\xc3"
	rate := 1 + r.IntN(100)
	noQuote := r.IntN(2) == 0
	for i := range buf {
		c := byte('a' + r.IntN(26))
		if r.IntN(rate) == 0 {
			c = special[r.IntN(len(special))]
			if c == '"' && noQuote {
				c = '\\'
			}
		}
		buf[i] = c
	}
}

// TestSkipStringRandom scans random inputs end to end as a caller would,
// stepping over each byte it is handed, at unaligned offsets.
func TestSkipStringRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 1<<12)
	for iter := range 30000 {
		size := 1 + r.IntN(300)
		if iter%16 == 0 {
			size = len(buf) - 64
		}
		randomSkipInput(r, buf[:size+64])
		off := r.IntN(64)
		s := buf[off : off+size]
		for i := 0; i <= len(s); {
			checkSkipString(t, s[i:])
			n, _ := SkipString(s[i:])
			i += n + 1
		}
	}
}

// TestSkipStringDenseRandom scans escaped JSON documents: mostly letters
// and valid escapes (\" most of all, then \\ and \n), which keep the scan
// in the dense loop for blocks on end with carries across them, and at a
// random rate a byte that stops it or a backslash that starts an escape
// the caller handles, anywhere in a block, its tail or across both.
func TestSkipStringDenseRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	tokens := []string{`\"`, `\"`, `\"`, `\\`, `\n`, `\/`, "a", "bc", "def", `\\\"`}
	stops := []string{`"`, `\`, `\u`, `\x`, "\x01", "\xc3\xa9"}
	var buf []byte
	for range 20000 {
		size := 130 + r.IntN(600)
		rate := 2 + r.IntN(2000)
		buf = buf[:0]
		for len(buf) < size {
			if r.IntN(rate) == 0 {
				buf = append(buf, stops[r.IntN(len(stops))]...)
			} else {
				buf = append(buf, tokens[r.IntN(len(tokens))]...)
			}
		}
		for i := 0; i <= len(buf); {
			checkSkipString(t, buf[i:])
			n, _ := SkipString(buf[i:])
			i += n + 1
		}
	}
}

func FuzzSkipString(f *testing.F) {
	for _, s := range []string{
		"", `"`, `\`, `\\`, `\"`, `\\"`, `\\\"`, `\n`, `\u00e9"`, `\x"`,
		"\x01", "\xc3\xa9\"", "plain text of more than sixteen bytes\"",
		`0123456789abcde\"0123456789abcd\\"`,
		"MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\\nRTESMBAGA1UEChMJQmFsdGltb3JlMRMwEQYDVQQLEwpDeWJlclRydXN0MSIwIAYD\\n\"",
		strings.Repeat(`ab\"c\\d\n`, 24) + `"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		for i := 0; i <= len(s) && i < 64; i++ {
			checkSkipString(t, s[i:])
		}
	})
}

// skipBenchInputs are whole string contents up to and including the
// closing quote, each one call of SkipString: a PEM CA bundle as a
// ConfigMap value carries (64 base64 characters, then an escaped newline),
// plain text, short strings, a '\"' every 8 bytes (an escaped JSON
// document, as in last-applied-configuration), a real-shaped
// last-applied-configuration value, and an RBAC reason (escapes too few
// and the string too short for the dense loop to pay).
func skipBenchInputs() []struct {
	name string
	s    []byte
} {
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var pem bytes.Buffer
	for pem.Len() < 200<<10 {
		pem.WriteString(b64)
		pem.WriteString(`\n`)
	}
	pem.WriteByte('"')
	plain := bytes.Repeat([]byte(b64), 4<<10/len(b64))
	ins := []struct {
		name string
		s    []byte
	}{
		{"pem-200KB", pem.Bytes()},
		{"plain-4KB", append(plain[:len(plain)-1:len(plain)-1], '"')},
		{"quote8-4KB", append(bytes.Repeat([]byte(`abcdef\"`), 4<<10/8-1), "abcdefg\""...)},
	}
	for _, n := range []int{8, 24, 40} {
		ins = append(ins, struct {
			name string
			s    []byte
		}{"short-" + strconv.Itoa(n), append(plain[:n-1:n-1], '"')})
	}
	return append(ins, []struct {
		name string
		s    []byte
	}{
		{"lastapplied-" + strconv.Itoa(len(lastAppliedText)), []byte(lastAppliedText + `"`)},
		{"rbac-" + strconv.Itoa(len(rbacReason)), []byte(rbacReason + `"`)},
	}...)
}

// lastAppliedText is the value of a kubectl.kubernetes.io/last-applied-
// configuration annotation as an audit event carries it: a Deployment as
// compact JSON, a newline at its end, escaped into a string, so \" every
// few bytes and \\n where the manifest itself holds a newline.
var lastAppliedText = func() string {
	const doc = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},` +
		`"labels":{"app.kubernetes.io/name":"web","app.kubernetes.io/part-of":"shop"},` +
		`"name":"web","namespace":"shop"},"spec":{"replicas":3,"selector":{"matchLabels":` +
		`{"app.kubernetes.io/name":"web"}},"strategy":{"rollingUpdate":{"maxSurge":1,` +
		`"maxUnavailable":0},"type":"RollingUpdate"},"template":{"metadata":{"annotations":` +
		`{"prometheus.io/port":"9090","prometheus.io/scrape":"true"},"labels":` +
		`{"app.kubernetes.io/name":"web"}},"spec":{"containers":[{"args":["--config=/etc/web/config.yaml",` +
		`"--log-level=info"],"env":[{"name":"GOMAXPROCS","valueFrom":{"resourceFieldRef":` +
		`{"resource":"limits.cpu"}}},{"name":"POD_NAME","valueFrom":{"fieldRef":{"fieldPath":` +
		`"metadata.name"}}}],"image":"registry.example.com/shop/web:1.42.0","livenessProbe":` +
		`{"httpGet":{"path":"/healthz","port":8080},"periodSeconds":10},"name":"web","ports":` +
		`[{"containerPort":8080,"name":"http"},{"containerPort":9090,"name":"metrics"}],` +
		`"readinessProbe":{"httpGet":{"path":"/ready","port":8080}},"resources":{"limits":` +
		`{"cpu":"1","memory":"512Mi"},"requests":{"cpu":"250m","memory":"256Mi"}},` +
		`"securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,` +
		`"runAsNonRoot":true},"volumeMounts":[{"mountPath":"/etc/web","name":"config"}]}],` +
		`"serviceAccountName":"web","volumes":[{"configMap":{"name":"web-config"},"name":"config"}]}}}}` +
		"\n"
	q := strconv.Quote(doc)
	return q[1 : len(q)-1]
}()

// rbacReason is the authorization.k8s.io/reason annotation of an allowed
// request: short, with a \"…\" pair around each name.
const rbacReason = `RBAC: allowed by ClusterRoleBinding \"system:controller:replicaset-controller\" ` +
	`of ClusterRole \"system:controller:replicaset-controller\" to ServiceAccount ` +
	`\"replicaset-controller/kube-system\"`

var skipSink int

// BenchmarkSkipString scans each input to its closing quote: asm is
// SkipString, go the loop of (*scanner).str, IndexSpecial the assembly
// search with the escapes taken in Go. Each calls its function directly:
// through a func value the assembly would go through its ABI wrapper.
func BenchmarkSkipString(b *testing.B) {
	for _, in := range skipBenchInputs() {
		s := in.s
		for _, name := range []string{"asm", "go", "IndexSpecial"} {
			b.Run(name+"/"+in.name, func(b *testing.B) {
				var n int
				switch name {
				case "asm":
					n, _ = SkipString(s)
				case "go":
					n, _ = goSkipString(s)
				default:
					n, _ = idxSkipString(s)
				}
				if n != len(s)-1 {
					b.Fatalf("stopped at %d of %d", n, len(s))
				}
				b.SetBytes(int64(len(s)))
				switch name {
				case "asm":
					for b.Loop() {
						n, _ := SkipString(s)
						skipSink += n
					}
				case "go":
					for b.Loop() {
						n, _ := goSkipString(s)
						skipSink += n
					}
				default:
					for b.Loop() {
						n, _ := idxSkipString(s)
						skipSink += n
					}
				}
			})
		}
	}
}
