// Command plugin is out_k8saudit.so, built with `go build -buildmode=c-shared`: the only
// package that imports "C" or fluent-bit-go. It is a thin shim between Fluent Bit's Go proxy
// and package instance: each exported function adapts its arguments, calls the core, maps
// the result to a Fluent Bit return code in one place (returncode.go) and recovers from
// panics so that none crosses into the host.
//
// Hot reload (reload.go): Fluent Bit re-registers the already loaded .so for the new context
// (FLBPluginPreRegister(1), FLBPluginRegister), closes the old instances (FLBPluginExitCtx)
// and then calls FLBPluginInit for the new ones. Because Fluent Bit v4.2.8 leaks a Go
// output's worker threads on reload and then crashes, FLBPluginPreRegister refuses the reload
// (Fluent Bit halts it and keeps the running pipeline) while any k8saudit worker thread
// runs; with workers 0 the reload goes ahead. An instance's context is a slot emptied at
// exit, so a reloaded-away instance is freed although fluent-bit-go keeps its contexts.
//
// main never runs in a c-shared object; it exists only because the build mode requires it.
package main
