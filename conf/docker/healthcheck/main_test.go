package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(200 * time.Millisecond)
		}
		w.WriteHeader(status)
		w.Write([]byte("error"))
	}))
	defer srv.Close()
	if err := check(srv.URL+"/api/v1/health", time.Second); err != nil {
		t.Errorf("200: %v", err)
	}
	status = http.StatusInternalServerError
	if err := check(srv.URL+"/api/v1/health", time.Second); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("500: got %v, want an error naming the status", err)
	}
	status = http.StatusOK
	if err := check(srv.URL+"/slow", 50*time.Millisecond); err == nil {
		t.Error("an answer slower than the timeout must fail")
	}
	srv.Close()
	if err := check(srv.URL+"/", time.Second); err == nil {
		t.Error("a closed port must fail")
	}
}
