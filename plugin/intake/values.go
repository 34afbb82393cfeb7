package intake

import (
	"strconv"
	"strings"
)

// The value rules every key shares (Fluent Bit's spellings), written once: the config
// package parses the common keys with them, and an intake its own keys.

// ParseBool accepts Fluent Bit's spellings: on/off, true/false, yes/no, 1/0.
func ParseBool(key, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "true", "yes", "1":
		return true, nil
	case "off", "false", "no", "0":
		return false, nil
	}
	return false, Invalid(key, "on or off (also true/false, yes/no)")
}

// ParseSize reads a byte count the way Fluent Bit does: a plain number, or a number with
// k, kb, m, mb, g or gb, decimal (1k = 1000), as flb_utils_size_to_bytes.
func ParseSize(key, v string) (int, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	mult := 1
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"kb", 1000}, {"mb", 1000 * 1000}, {"gb", 1000 * 1000 * 1000}, {"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 || n*float64(mult) > 1<<40 {
		return 0, Invalid(key, "a positive size in bytes, optionally with k, m or g (e.g. 5M)")
	}
	return int(n * float64(mult)), nil
}
