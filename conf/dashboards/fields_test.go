package dashboards

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/k8saudit/k8saudit/detect"
	"github.com/k8saudit/k8saudit/normalize"
)

// The field paths the normalizer emits, as Kibana and OpenSearch name them: dotted
// object paths; an array counts by its own path, an array of objects also by the paths
// of its members' fields (Elasticsearch flattens them the same way).
var (
	emittedOnce sync.Once
	emitted     fieldSet
	emittedErr  error
)

// fieldSet: each emitted field path, the JSON kinds its values took (string, number,
// bool) and, for strings, the distinct values seen (to prove a query's literal matches
// something the normalizer writes).
type fieldSet map[string]*fieldInfo

type fieldInfo struct {
	kinds  map[string]bool
	values map[string]bool
}

func (s fieldSet) add(path, kind, value string) {
	f := s[path]
	if f == nil {
		f = &fieldInfo{kinds: map[string]bool{}, values: map[string]bool{}}
		s[path] = f
	}
	if kind != "" {
		f.kinds[kind] = true
	}
	if kind == "string" {
		f.values[value] = true
	}
}

// emittedFields reads every golden output of normalize and adds the documents of
// detect's Falco traces normalized with every rule on, where the detection fields live
// (the goldens are written without detections).
func emittedFields(t testing.TB) fieldSet {
	t.Helper()
	emittedOnce.Do(func() {
		emitted = fieldSet{}
		goldens, err := filepath.Glob(filepath.Join("..", "..", "normalize", "testdata", "golden", "*.ndjson"))
		if err == nil && len(goldens) == 0 {
			err = os.ErrNotExist
		}
		if err != nil {
			emittedErr = err
			return
		}
		for _, g := range goldens {
			b, err := os.ReadFile(g)
			if err != nil {
				emittedErr = err
				return
			}
			if err := addNDJSON(emitted, b); err != nil {
				emittedErr = err
				return
			}
		}
		falco, err := filepath.Glob(filepath.Join("..", "..", "detect", "testdata", "falco", "*.json"))
		if err == nil && len(falco) == 0 {
			err = os.ErrNotExist
		}
		if err != nil {
			emittedErr = err
			return
		}
		n := normalize.New(normalize.Options{ClusterName: "test-cluster", Detect: detect.New(detect.Options{Rules: detect.AllRules()})})
		var out bytes.Buffer
		for _, f := range falco {
			b, err := os.ReadFile(f)
			if err != nil {
				emittedErr = err
				return
			}
			sc := bufio.NewScanner(bytes.NewReader(b))
			sc.Buffer(nil, 16<<20)
			for sc.Scan() {
				for _, d := range n.Normalize(sc.Bytes(), 1) {
					out.Write(d.JSON)
					out.WriteByte('\n')
				}
			}
		}
		if err := addNDJSON(emitted, out.Bytes()); err != nil {
			emittedErr = err
		}
	})
	if emittedErr != nil {
		t.Fatalf("emitted fields: %v", emittedErr)
	}
	return emitted
}

func addNDJSON(set fieldSet, b []byte) error {
	for _, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var v any
		if err := json.Unmarshal(line, &v); err != nil {
			return err
		}
		flatten(set, "", v)
	}
	return nil
}

func flatten(set fieldSet, prefix string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(set, p, c)
		}
	case []any:
		set.add(prefix, "", "")
		for _, c := range x {
			flatten(set, prefix, c)
		}
	case string:
		set.add(prefix, "string", x)
	case float64:
		set.add(prefix, "number", "")
	case bool:
		set.add(prefix, "bool", "")
	default: // null
		set.add(prefix, "", "")
	}
}
