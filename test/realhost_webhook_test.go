package test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The webhook backend inside Fluent Bit: the http input receives EventList bodies as the API
// server's webhook backend POSTs them (a batch of events per request, application/json),
// here gzip-compressed and plain in turn; the plugin splits each EventList record into its
// events and ships every event exactly once.
func TestRealHostWebhookEventList(t *testing.T) {
	t.Parallel()
	src := filepath.Join(fixtures(t), "chunks", "webhook-eventlist.json")
	want := expectedFromEventList(t, src)
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var list map[string]json.RawMessage
	var items []json.RawMessage
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(list["items"], &items); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	port := freePort(t)
	in := newIntake(t, nil)
	conf := writeIn(t, dir, "fluent-bit.conf", service("")+fmt.Sprintf(`[INPUT]
    name               http
    listen             127.0.0.1
    port               %d
    tag                kube.audit
    buffer_max_size    64M
    buffer_chunk_size  1M
`, port)+k8sauditOutput("ndjson", in.url(), ""))
	fb := startFluentBit(t, conf)

	// Batches of 6: the webhook backend's --audit-webhook-batch-max-size cut small.
	url := fmt.Sprintf("http://127.0.0.1:%d/kube.audit", port)
	batch := 0
	for start := 0; start < len(items); start += 6 {
		end := min(start+6, len(items))
		list["items"], _ = json.Marshal(items[start:end])
		body, _ := json.Marshal(list)
		gz := batch%2 == 0
		batch++
		if gz {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(body)
			zw.Close()
			body = b.Bytes()
		}
		var status int
		fb.waitUntil(20*time.Second, fmt.Sprintf("batch %d accepted by the http input", batch), func() bool {
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if gz {
				req.Header.Set("Content-Encoding", "gzip")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return false // not listening yet
			}
			resp.Body.Close()
			status = resp.StatusCode
			return true
		})
		if status < 200 || status > 299 {
			t.Fatalf("batch %d (gzip %t): the http input answered %d", batch, gz, status)
		}
	}
	fb.waitUntil(30*time.Second, fmt.Sprintf("all %d webhook events delivered", len(want)),
		func() bool { return in.docCount() >= len(want) })
	quiet(time.Second, in.docCount)
	fb.stop(15 * time.Second)
	in.mustBeClean(t)
	docs, _, _ := in.snapshot()
	exactlyOnce(t, "webhook EventList batches", docs, want)
}
