package config

import (
	"net"
	"strconv"
)

// parseObservability reads metrics_listen and stats_interval.
func parseObservability(get func(string) string, c *Config) error {
	if v := get("metrics_listen"); v != "" {
		host, port, err := net.SplitHostPort(v)
		p, perr := strconv.Atoi(port)
		if err != nil || perr != nil || p < 0 || p > 65535 || (host != "" && net.ParseIP(host) == nil && host != "localhost") {
			return invalid("metrics_listen", "an address host:port to serve /metrics, /healthz and /readyz on (127.0.0.1:2021; 0.0.0.0:2021 for a Prometheus outside the pod)")
		}
		c.MetricsListen = v
	}
	if v := get("stats_interval"); v != "" {
		if v == "0" || v == "0s" || v == "off" {
			c.StatsInterval = 0
			return nil
		}
		d, err := parseDuration("stats_interval", v)
		if err != nil {
			return err
		}
		c.StatsInterval = d
	}
	return nil
}
