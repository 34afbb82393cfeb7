package policy

// Level is an audit level. The values are ordered by how much of the event
// they keep, so that the lower of two levels is min(a, b): the shipper takes
// the lower of the rule's level and the level the event was logged at.
type Level uint8

const (
	LevelNone            Level = iota // drop the event
	LevelMetadata                     // keep metadata, drop request and response bodies
	LevelRequest                      // keep the request body, drop the response body
	LevelRequestResponse              // keep both bodies
)

var levelNames = [...]string{"None", "Metadata", "Request", "RequestResponse"}

func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return "Level(?)"
}

// KeepsRequestBody reports whether requestObject survives at this level.
func (l Level) KeepsRequestBody() bool { return l >= LevelRequest }

// KeepsResponseBody reports whether responseObject survives at this level.
func (l Level) KeepsResponseBody() bool { return l >= LevelRequestResponse }

// ParseLevel reads a level as written in a policy or an event ("Metadata",
// ...). The match is exact, as in Kubernetes. It does not allocate.
func ParseLevel(b []byte) (Level, bool) {
	switch string(b) {
	case "None":
		return LevelNone, true
	case "Metadata":
		return LevelMetadata, true
	case "Request":
		return LevelRequest, true
	case "RequestResponse":
		return LevelRequestResponse, true
	}
	return 0, false
}

// Stage is an audit stage: the point of request handling at which an event
// was written.
type Stage uint8

const (
	StageRequestReceived Stage = iota
	StageResponseStarted
	StageResponseComplete
	StagePanic
)

var stageNames = [...]string{"RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"}

func (s Stage) String() string {
	if int(s) < len(stageNames) {
		return stageNames[s]
	}
	return "Stage(?)"
}

// ParseStage reads a stage name. It does not allocate.
func ParseStage(b []byte) (Stage, bool) {
	switch string(b) {
	case "RequestReceived":
		return StageRequestReceived, true
	case "ResponseStarted":
		return StageResponseStarted, true
	case "ResponseComplete":
		return StageResponseComplete, true
	case "Panic":
		return StagePanic, true
	}
	return 0, false
}

// StageSet is a set of stages (omitStages), one bit per Stage. Sets combine
// with |, which is the union Kubernetes computes between a policy's and a
// rule's omitStages.
type StageSet uint8

// Has reports whether s is in the set.
func (ss StageSet) Has(s Stage) bool { return ss&(1<<s) != 0 }

// With returns the set with s added.
func (ss StageSet) With(s Stage) StageSet { return ss | 1<<s }

// String lists the stages in their natural order, comma-separated.
func (ss StageSet) String() string {
	out := ""
	for s := StageRequestReceived; s <= StagePanic; s++ {
		if ss.Has(s) {
			if out != "" {
				out += ","
			}
			out += s.String()
		}
	}
	return out
}
