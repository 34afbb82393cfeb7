// Package dashboards holds no code: it is the home of the dashboards shipped in
// conf/dashboards (grafana/, kibana/, opensearch/) and of the tests that keep them honest.
//
// The contract the tests hold: every file parses; saved-object ids are unique and every
// reference (data view of a visualization or search, panel of a dashboard) resolves inside
// its file; every field a visualization aggregates on, a search shows or sorts by, is a
// field the normalizer emits (the golden outputs in normalize/testdata/golden, plus the
// detection fields written when package detect matches, produced in the test by running the
// normalizer with every rule on detect's Falco traces); every metric name in a Grafana
// PromQL expression is one the plugin exports (testdata/metrics.txt, a copy of the names in
// plugin/metrics). The saved objects are generated from one description (gen_test.go) for
// both Kibana 8.x and OpenSearch Dashboards, so the two stay the same dashboard; run
// go test ./conf/dashboards -update after changing it.
package dashboards
