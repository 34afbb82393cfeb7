package test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// intake kafka inside a real Fluent Bit, producing to franz-go's in-process cluster
// (kfake) started by the test: every event of the tailed log is one record of the topic,
// exactly once, its key unique.
func TestRealHostKafka(t *testing.T) {
	t.Parallel()
	lines, want := logLines(t, filepath.Join(fixtures(t), "chunks", "tail-input.log"))
	c, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.SeedTopics(3, "k8s-audit"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("k8s-audit"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var docs []doc
	keys := map[string]int{}
	poll := func() int {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			var m map[string]any
			if err := json.Unmarshal(r.Value, &m); err != nil {
				t.Errorf("a record is not JSON: %v", err)
				return
			}
			docs = append(docs, doc{raw: r.Value, m: m})
			keys[string(r.Key)]++
		})
		return len(docs)
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.log")
	copyLines(t, logPath, lines, false)
	conf := writeIn(t, dir, "fluent-bit.conf", service("")+tailInput(logPath, filepath.Join(dir, "tail.db"), "")+
		strings.Replace(k8sauditOutput("kafka", "", "    brokers        "+strings.Join(c.ListenAddrs(), ",")), "    url            \n", "", 1))
	fb := startFluentBit(t, conf)
	fb.waitUntil(30*time.Second, "every event in the topic", func() bool { return poll() >= len(want) })
	quiet(time.Second, poll)
	fb.stop(15 * time.Second)
	if strings.Contains(fb.log(), "url is ignored") {
		t.Error("the configuration set a url")
	}
	exactlyOnce(t, "kafka", docs, want)
	for k, n := range keys {
		if n != 1 {
			t.Errorf("record key %s %d times", k, n)
		}
	}
}
