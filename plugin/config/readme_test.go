package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryKeyDocumented: each key Parse reads has a row of the README's configuration
// table (alone or in a group such as `dd_source`, `dd_service`).
func TestEveryKeyDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.SplitN(line[1:], "|", 2)[0]
		for _, k := range strings.Split(first, ",") {
			rows[strings.Trim(strings.TrimSpace(k), "`")] = true
		}
	}
	for _, k := range Keys {
		if !rows[k] {
			t.Errorf("key %s has no row in the README's configuration table", k)
		}
	}
}
