package otlp

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/intake"
)

// The credential header: Bearer api_key by default, any header (Honeycomb's
// x-honeycomb-team) with or without a scheme, basic auth when only http_user is set.
func TestCredentialHeader(t *testing.T) {
	for _, tc := range []struct {
		keys         map[string]string
		user         string
		header, want string
	}{
		{nil, "", "Authorization", "Bearer k3y"},
		{map[string]string{"otlp_header": "x-honeycomb-team"}, "", "X-Honeycomb-Team", "k3y"},
		{map[string]string{"otlp_scheme": "Api-Token"}, "", "Authorization", "Api-Token k3y"},
		{map[string]string{"otlp_header": "X-Key", "otlp_scheme": "Key "}, "", "X-Key", "Key k3y"},
	} {
		rv := newReceiver(t)
		o := baseOptions()
		o.APIKey = "k3y"
		o = configure(t, rv.URL, tc.keys, o)
		s, err := intake.HTTP(o)
		if err != nil {
			t.Fatal(err)
		}
		if r := s.Deliver(context.Background(), docsOf(`{"a":1}`)); r != deliver.Delivered {
			t.Fatalf("%v: Deliver = %v", tc.keys, r)
		}
		if got := rv.reqs[0].header.Get(tc.header); got != tc.want {
			t.Errorf("%v: %s = %q, want %q", tc.keys, tc.header, got, tc.want)
		}
		s.Close()
	}
}

// Configuration errors name the key, never the value.
func TestConfigErrorsNameTheKey(t *testing.T) {
	for key, v := range map[string]string{"otlp_header": "X-Secret: abc", "otlp_scheme": "Bearer\nabc", "otlp_service_name": "", "otlp_encoding": "grpc-secret"} {
		get := func(k string) string {
			if k == key {
				return v
			}
			return map[string]string{"otlp_service_name": "kube-apiserver", "otlp_encoding": "protobuf"}[k]
		}
		var o deliver.Options
		_, err := Intake.Configure(get, &o)
		var ke *intake.KeyError
		if !errors.As(err, &ke) || ke.Key != key || (v != "" && strings.Contains(err.Error(), v)) {
			t.Errorf("%s: err = %v, want a KeyError naming it without its value", key, err)
		}
	}
}
