package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readmeRows maps each key of the README's configuration table to its default cell (a
// row may document several keys, `dd_source`, `dd_service`, with one default each or one
// for all).
func readmeRows(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	// Only the Configuration section: intakes with their own transport (Kafka, syslog)
	// document their keys in their own tables further down.
	text := string(b)
	if i := strings.Index(text, "\n## Configuration\n"); i >= 0 {
		text = text[i+1:]
		if j := strings.Index(text[3:], "\n## "); j >= 0 {
			text = text[:j+3]
		}
	}
	rows := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line[1:], "|")
		if len(cells) < 2 {
			continue
		}
		keys := strings.Split(cells[0], ",")
		defs := strings.Split(cells[1], ",")
		for i, k := range keys {
			d := defs[0]
			if len(defs) == len(keys) {
				d = defs[i]
			}
			rows[strings.Trim(strings.TrimSpace(k), "`")] = strings.TrimSpace(d)
		}
	}
	return rows
}

// TestEveryKeyDocumented: each key Parse reads (the common table and every registered
// intake's declarations) has a row of the README's configuration table, and the row's
// default is the declared one: `value` for a default Parse applies, the declared text for
// one the layer below applies, — for none.
func TestEveryKeyDocumented(t *testing.T) {
	rows := readmeRows(t)
	for _, k := range declared() {
		got, ok := rows[k.Name]
		if !ok {
			t.Errorf("key %s has no row in the README's configuration table", k.Name)
			continue
		}
		want := "—"
		switch {
		case k.Default != "":
			want = "`" + k.Default + "`"
		case k.DefaultDoc != "":
			want = k.DefaultDoc
		}
		if got != want {
			t.Errorf("key %s: the README's default is %q, the declaration's %q", k.Name, got, want)
		}
	}
}
