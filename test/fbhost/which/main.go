// Command which prints the path of the Fluent Bit the real-host tests use (stdout) and one
// line naming it (stderr), in the order of package fbhost. Without one it prints the reason
// and exits 0, or 1 under CI=true. Run from the repository root: go run ./test/fbhost/which
package main

import (
	"fmt"
	"os"

	"github.com/k8saudit/k8saudit/test/fbhost"
)

func main() {
	root, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fbhost:", err)
		os.Exit(1)
	}
	f := fbhost.Find(root)
	if f.Err != nil {
		if fbhost.CI() {
			fmt.Fprintf(os.Stderr, "real-host tests: FAIL: CI=true and %v\n", f.Err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "real-host tests: will skip: %v\n", f.Err)
		return
	}
	fmt.Fprintf(os.Stderr, "real-host tests: %s\n", f)
	fmt.Println(f.Path)
}
