module github.com/k8saudit/k8saudit

go 1.26.8

require (
	github.com/fluent/fluent-bit-go v0.0.0-20230731091245-a7a013e2473c // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/philhofer/fwd v1.2.0 // indirect
	github.com/tinylib/msgp v1.6.5 // indirect
	github.com/valyala/fastjson v1.6.10 // indirect
	golang.org/x/mod v0.18.0 // indirect
	golang.org/x/tools v0.22.0 // indirect
)
