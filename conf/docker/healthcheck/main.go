// Command k8saudit-healthcheck asks Fluent Bit's built-in HTTP server whether it is healthy,
// for the image's HEALTHCHECK and for exec probes: the Fluent Bit image is distroless, with
// no shell or curl, and a static kube-apiserver pod shares the host network, where Fluent
// Bit's HTTP server listens on loopback only.
//
//	k8saudit-healthcheck [URL]
//
// URL defaults to http://127.0.0.1:2020/api/v1/health, which answers 200 unless the outputs
// have recently failed more than health_check allows (Fluent Bit's hc_* service keys); use
// http://127.0.0.1:2020/ to ask only whether Fluent Bit answers at all. The exit status is 0
// for a 2xx answer within 5 seconds, 1 otherwise, with the reason on standard error.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

const defaultURL = "http://127.0.0.1:2020/api/v1/health"

func main() {
	url := defaultURL
	switch len(os.Args) {
	case 1:
	case 2:
		url = os.Args[1]
	default:
		fmt.Fprintln(os.Stderr, "usage: k8saudit-healthcheck [URL]")
		os.Exit(2)
	}
	if err := check(url, 5*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "k8saudit-healthcheck:", err)
		os.Exit(1)
	}
}

func check(url string, timeout time.Duration) error {
	client := &http.Client{Timeout: timeout}
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %s: %s", url, resp.Status, body)
	}
	return nil
}
