module github.com/k8saudit/k8saudit

go 1.26.8

require (
	github.com/fluent/fluent-bit-go v0.0.0-20230731091245-a7a013e2473c
	github.com/klauspost/compress v1.20.3
	github.com/tinylib/msgp v1.6.5
	github.com/valyala/fastjson v1.6.10
)

require (
	github.com/philhofer/fwd v1.2.0 // indirect
	github.com/ugorji/go/codec v1.1.7 // indirect
)
