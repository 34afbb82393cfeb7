// Package intake is the registry of intakes: the one place the rest of the plugin learns
// what intakes exist, what keys each reads, its batch limits, and how to open it.
//
// Contract:
//   - An intake is a package plugin/intake/<name> that exports one *Intake: its Name, its
//     own Keys (name, default, secret, synonyms), its Limits, the url schemes it takes
//     (nil: no url, as stdout), and Configure, which reads and checks its keys (and what
//     it needs of the common options, a credential say) once, at Init, and returns the
//     Opener that builds its Shipper. Errors are *KeyError: they name the key and what is
//     accepted, never the value.
//   - A Shipper delivers the documents of one chunk and answers deliver.Result (the one
//     outcome type up to the shim), counts in deliver.Stats, and closes. deliver.Sender,
//     the shared HTTP core (batching, gzip, retries, memory of accepted requests, dead
//     letter), is the Shipper of the HTTP intakes (Opener HTTP); an intake with its own
//     transport (syslog, Kafka, the test intake discard) implements Shipper itself and
//     must keep the same promises: Deliver returns only when every document is settled,
//     keeps no reference to docs after it returns, allocates nothing per event in steady
//     state, and never logs a secret.
//   - The config package derives from the declarations: the intake key's accepted
//     values, the defaults, the misspelling and wrong-intake warnings, secret masking on
//     the startup line, and the README check (plugin/config/readme_test.go).
//   - Dependencies point one way: plugin/config -> plugin/intake/all -> plugin/intake/<name>
//     -> plugin/intake -> plugin/deliver. Nothing here imports config or instance.
//
// # Adding an intake
//
//  1. Create plugin/intake/<name>/<name>.go with `var Intake = &intake.Intake{...}`
//     (plugin/intake/discard is the smallest complete example, with its own Shipper;
//     plugin/intake/splunk one served by deliver's HTTP core).
//  2. Add `<name>.Intake,` to the list in plugin/intake/all/all.go.
//  3. Add a README row for each of its keys (the README test fails until you do).
//
// An HTTP intake whose wire format deliver does not know yet also needs its framing in
// plugin/deliver (intake_<name>.go: framing, limits, path, credential header, per-item
// answer reader, registered in deliver's builders); the framing must not allocate.
package intake
