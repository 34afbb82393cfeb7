// Command plugin is out_k8saudit.so, built with `go build -buildmode=c-shared`: the only
// package that imports "C" or fluent-bit-go. It is a thin shim between Fluent Bit's Go proxy
// and package instance: each exported function adapts its arguments, calls the core, maps
// the result to a Fluent Bit return code in one place (returncode.go) and recovers from
// panics so that none crosses into the host.
//
// main never runs in a c-shared object; it exists only because the build mode requires it.
package main
