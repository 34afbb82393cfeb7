package intake

import (
	"context"
	"strings"
	"sync"

	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// Shipper is what the instance holds: something that takes the documents of one chunk and
// says what Fluent Bit should do with it. deliver.Sender (the shared HTTP core) is one;
// an intake with its own transport (syslog, Kafka) is another.
type Shipper interface {
	// Deliver sends the documents of one chunk and returns only when every one is
	// settled. docs and its bytes belong to the caller and are only valid during the call.
	Deliver(ctx context.Context, docs *deliver.Docs) deliver.Result
	// Stats are the counters since the Shipper was opened, for the exit line.
	Stats() deliver.Stats
	// Close releases the transport; Deliver is not called afterwards.
	Close() error
}

var _ Shipper = (*deliver.Sender)(nil)

// Key declares one configuration key. The config parser, the startup line, the
// misspelling warnings, secret masking and the README check all read these declarations.
type Key struct {
	Name string
	// Default is the value taken when the key is absent ("" = none), as the README shows
	// it in backquotes; DefaultDoc replaces it in the README when the default is not one
	// literal value ("per intake", "1 MiB").
	Default, DefaultDoc string
	// Secret: the value is a credential and never appears in a log line or an error;
	// the startup line shows <redacted>. SecretIf marks some values only (a Sematext
	// token used as an index name).
	Secret   bool
	SecretIf func(v string) bool
	// Synonyms are names other outputs use for this key: set, they draw a warning.
	Synonyms []string
}

// IsSecret reports whether v, the value of k, must be masked.
func (k Key) IsSecret(v string) bool {
	return k.Secret || k.SecretIf != nil && k.SecretIf(v)
}

// Misspellings lists the spellings of k that Fluent Bit would silently ignore: dashes for
// underscores, underscores left out, and the synonyms.
func (k Key) Misspellings() []string {
	var out []string
	if strings.Contains(k.Name, "_") {
		out = append(out, strings.ReplaceAll(k.Name, "_", "-"), strings.ReplaceAll(k.Name, "_", ""))
	}
	return append(out, k.Synonyms...)
}

// KeyError is a configuration error naming the key and what is accepted, never the
// value (deliver.KeyError: deliver's checks return it too).
type KeyError = deliver.KeyError

// Invalid is a *KeyError for key.
func Invalid(key, accepted string) error { return &KeyError{Key: key, Accepted: accepted} }

// Getter returns the value of one of an intake's own keys: trimmed, with the key's
// Default when it is absent.
type Getter func(key string) string

// Opener opens a configured intake. o is the common delivery options (credentials,
// batching, TLS, dead letter, Logger, Poster for tests), complete and checked.
type Opener func(o deliver.Options) (Shipper, error)

// Intake declares one intake. It is the only thing the rest of the plugin knows of it.
type Intake struct {
	// Name is the value of the intake key.
	Name string
	// Keys are the keys only this intake reads, in the order the startup line shows them
	// (keys with a Default first, always; the others when set).
	Keys []Key
	// Limits are the batch_bytes and batch_events defaults and maxima.
	Limits deliver.Limits
	// URL: the schemes the url key accepts (nil: the intake takes no url, as stdout).
	// HTTP intakes take http and https.
	URL []string
	// CheckURL, when set, replaces the scheme check for an intake whose url is not an
	// http URL (a broker list, tcp://host:port): the url is then required, and an error
	// must name the key, never the value (Invalid("url", ...)).
	CheckURL func(v string) error
	// AuditEvents: the intake ships the audit events themselves (audit.k8s.io/v1 JSON),
	// not ECS documents. format is raw (ecs is refused), detection is off (an Event has no
	// member for its fields: the raw format's k8saudit side object would not decode as an
	// Event), and the intake's Wire refuses pipeline_error documents (dead letter).
	AuditEvents bool
	// Configure reads and checks the intake's keys through get, and what it needs of
	// the common options in o (a credential, say); it may write its settings into o (the
	// HTTP intakes' fields). Errors are *KeyError: they name a key, never a value.
	Configure func(get Getter, o *deliver.Options) (Opener, error)
}

// HTTP is the Opener of the intakes served by deliver's shared HTTP core.
func HTTP(o deliver.Options) (Shipper, error) {
	s, err := deliver.New(o)
	if err != nil {
		// deliver's errors name the key already; returned as they are, so the log line
		// Fluent Bit prints at a failed start is the one it always was.
		return nil, err
	}
	return s, nil
}

// HTTPSchemes is the URL of an HTTP intake.
var HTTPSchemes = []string{"http", "https"}

var (
	mu       sync.RWMutex
	registry []*Intake
)

// Register adds an intake; plugin/intake/all registers the built-in ones. A second intake
// with the same name, or a key another intake already declares, is a
// programming error and panics at init.
func Register(in *Intake) {
	mu.Lock()
	defer mu.Unlock()
	for _, have := range registry {
		if have.Name == in.Name {
			panic("intake " + in.Name + " registered twice")
		}
		for _, k := range in.Keys {
			for _, hk := range have.Keys {
				if k.Name == hk.Name {
					panic("key " + k.Name + " declared by intakes " + have.Name + " and " + in.Name)
				}
			}
		}
	}
	registry = append(registry, in)
}

// Lookup finds an intake by name (lower case).
func Lookup(name string) (*Intake, bool) {
	mu.RLock()
	defer mu.RUnlock()
	for _, in := range registry {
		if in.Name == name {
			return in, true
		}
	}
	return nil, false
}

// All lists the registered intakes in registration order.
func All() []*Intake {
	mu.RLock()
	defer mu.RUnlock()
	return append([]*Intake(nil), registry...)
}

// Names lists the registered intake names in registration order.
func Names() []string {
	var out []string
	for _, in := range All() {
		out = append(out, in.Name)
	}
	return out
}

// Unregister removes an intake: tests that register one use it to clean up.
func Unregister(name string) {
	mu.Lock()
	defer mu.Unlock()
	for i, in := range registry {
		if in.Name == name {
			registry = append(registry[:i], registry[i+1:]...)
			return
		}
	}
}
