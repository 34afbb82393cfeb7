package main

import (
	"unsafe"

	"github.com/fluent/fluent-bit-go/output"
)

// hostProperties reads the [OUTPUT] section through Fluent Bit's property lookup, giving
// package config the Getter it expects.
type hostProperties struct{ plugin unsafe.Pointer }

func (h hostProperties) Get(key string) string { return output.FLBPluginConfigKey(h.plugin, key) }
