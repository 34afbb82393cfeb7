package main

import "C"

import (
	"fmt"
	"unsafe"

	"github.com/fluent/fluent-bit-go/output"

	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/plugin/instance"
	"github.com/k8saudit/k8saudit/plugin/logging"
	"github.com/k8saudit/k8saudit/plugin/metrics"
)

const pluginName = "k8saudit"

// FLBPluginPreRegister runs before FLBPluginRegister, with hotReloading set when Fluent Bit
// builds the context of a hot reload; -1 keeps the plugin out of that context, which halts
// the reload (see reload.go for why and when).
//
//export FLBPluginPreRegister
func FLBPluginPreRegister(hotReloading C.int) C.int {
	if !preRegister(hotReloading != 0, logging.New(pluginName)) {
		return -1
	}
	return 0
}

//export FLBPluginRegister
func FLBPluginRegister(def unsafe.Pointer) int {
	return output.FLBPluginRegister(def, pluginName, "Kubernetes audit events, normalized to ECS, to a security intake")
}

// FLBPluginInit runs once per [OUTPUT] section. Returning FLB_ERROR makes Fluent Bit exit,
// which is what a configuration that cannot work deserves.
//
//export FLBPluginInit
func FLBPluginInit(plugin unsafe.Pointer) (code int) {
	id := nextInstanceID()
	name := fmt.Sprintf("%s.%d", pluginName, id) // Fluent Bit's own name for the instance; the alias never reaches a Go plugin
	log := logging.New(name)
	defer recoverTo(log, "init", &code, output.FLB_ERROR)

	cfg, warnings, err := config.Parse(hostProperties{plugin})
	if err != nil {
		log.Errorf("configuration error: %v", err)
		return output.FLB_ERROR
	}
	for _, w := range warnings {
		log.Warnf("%s", w)
	}
	in, err := instance.NewWith(cfg, log, instance.With{Name: name, Metrics: metrics.Default()})
	if err != nil {
		log.Errorf("cannot start: %v", err)
		return output.FLB_ERROR
	}
	log.Infof("config: %s", cfg)
	output.FLBPluginSetContext(plugin, newSlot(in))
	register(id, in)
	startProfiles(log)
	return output.FLB_OK
}

// FLBPluginFlushCtx delivers one chunk. data and tag belong to Fluent Bit and are valid only
// during this call: the slice below aliases them and must not outlive it.
//
//export FLBPluginFlushCtx
func FLBPluginFlushCtx(ctx, data unsafe.Pointer, length C.int, tag *C.char) (code int) {
	in := slotted(output.FLBPluginGetContext(ctx))
	if in == nil {
		logging.New(pluginName).Errorf("flush for an unknown or closed instance: retrying later")
		return output.FLB_RETRY
	}
	defer recoverTo(in.Logger(), "flush", &code, output.FLB_RETRY)
	if data == nil || length <= 0 {
		return output.FLB_OK
	}
	return returnCode(in.Flush(unsafe.Slice((*byte)(data), int(length))))
}

//export FLBPluginExitCtx
func FLBPluginExitCtx(ctx unsafe.Pointer) (code int) {
	s, _ := output.FLBPluginGetContext(ctx).(*slot)
	if s == nil {
		return output.FLB_OK
	}
	in := s.in.Swap(nil)
	if in == nil {
		return output.FLB_OK
	}
	defer recoverTo(in.Logger(), "exit", &code, output.FLB_OK)
	unregister(in)
	_ = in.Close()
	if openInstances() == 0 {
		stopProfiles(in.Logger())
	}
	return output.FLB_OK
}

// FLBPluginExit is what hosts without ExitCtx call: it closes every instance still open.
//
//export FLBPluginExit
func FLBPluginExit() int {
	for _, in := range unregisterAll() {
		_ = in.Close()
	}
	stopProfiles(logging.New(pluginName))
	return output.FLB_OK
}

//export FLBPluginUnregister
func FLBPluginUnregister(def unsafe.Pointer) {
	output.FLBPluginUnregister(def)
}

func main() {}
