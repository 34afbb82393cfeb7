package detect

import (
	"os"
	"strings"
	"testing"
)

// readmeRow is the README's row of a rule: id, name, severity, ATT&CK,
// minimum audit level, on by default.
func readmeRow(r *Rule) string {
	var attack []string
	for _, t := range r.Techniques {
		if t.SubID != "" {
			attack = append(attack, t.SubID)
		} else {
			attack = append(attack, t.ID)
		}
	}
	on := "optional"
	if r.Core {
		on = "default"
	}
	return "| " + r.ID + " | " + r.Name + " | " + r.Severity.String() + " | " + strings.Join(attack, ", ") + " | " + r.Level + " | " + on + " |"
}

// TestREADMETable: the README's table of rules is the catalogue's.
func TestREADMETable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Skip("no README")
	}
	for i := range rules {
		if row := readmeRow(&rules[i]); !strings.Contains(string(b), row+"\n") {
			t.Errorf("README lacks the row\n%s", row)
		}
	}
}
