package detect

// MITRE ATT&CK names of the tactics and techniques the catalogue uses
// (attack.mitre.org, Enterprise and Containers matrices).

// Tactic is an ATT&CK tactic.
type Tactic struct{ ID, Name string }

// Technique is an ATT&CK technique, with its sub-technique when the rule
// names one (SubID, SubName empty otherwise).
type Technique struct{ ID, Name, SubID, SubName string }

var (
	taInitialAccess   = Tactic{"TA0001", "Initial Access"}
	taExecution       = Tactic{"TA0002", "Execution"}
	taPersistence     = Tactic{"TA0003", "Persistence"}
	taPrivEsc         = Tactic{"TA0004", "Privilege Escalation"}
	taDefenseEvasion  = Tactic{"TA0005", "Defense Evasion"}
	taCredentialAcc   = Tactic{"TA0006", "Credential Access"}
	taDiscovery       = Tactic{"TA0007", "Discovery"}
	taLateralMovement = Tactic{"TA0008", "Lateral Movement"}
	taCommandControl  = Tactic{"TA0011", "Command and Control"}
	taImpact          = Tactic{"TA0040", "Impact"}
)

func tech(id, name string) Technique { return Technique{ID: id, Name: name} }

func sub(id, name, subID, subName string) Technique {
	return Technique{ID: id, Name: name, SubID: subID, SubName: subName}
}

var (
	tContainerAdmin   = tech("T1609", "Container Administration Command")
	tScripting        = tech("T1059", "Command and Scripting Interpreter")
	tCredsInFiles     = sub("T1552", "Unsecured Credentials", "T1552.001", "Credentials In Files")
	tMetadataAPI      = sub("T1552", "Unsecured Credentials", "T1552.005", "Cloud Instance Metadata API")
	tContainerAPI     = sub("T1552", "Unsecured Credentials", "T1552.007", "Container API")
	tToolTransfer     = tech("T1105", "Ingress Tool Transfer")
	tTunneling        = tech("T1572", "Protocol Tunneling")
	tEscapeToHost     = tech("T1611", "Escape to Host")
	tAppAccessToken   = sub("T1550", "Use Alternate Authentication Material", "T1550.001", "Application Access Token")
	tContainerDisc    = tech("T1613", "Container and Resource Discovery")
	tDeployContainer  = tech("T1610", "Deploy Container")
	tMatchName        = sub("T1036", "Masquerading", "T1036.005", "Match Legitimate Name or Location")
	tDefaultAccounts  = sub("T1078", "Valid Accounts", "T1078.001", "Default Accounts")
	tValidAccounts    = tech("T1078", "Valid Accounts")
	tOrchestrationJob = sub("T1053", "Scheduled Task/Job", "T1053.007", "Container Orchestration Job")
	tClusterRoles     = sub("T1098", "Account Manipulation", "T1098.006", "Additional Container Cluster Roles")
	tAccountManip     = tech("T1098", "Account Manipulation")
	tImpairDefenses   = tech("T1562", "Impair Defenses")
	tEventTriggered   = tech("T1546", "Event Triggered Execution")
	tStealToken       = tech("T1528", "Steal Application Access Token")
	tCreateAccount    = tech("T1136", "Create Account")
	tTokenManip       = tech("T1134", "Access Token Manipulation")
	tStoredData       = sub("T1565", "Data Manipulation", "T1565.001", "Stored Data Manipulation")
	tAitM             = tech("T1557", "Adversary-in-the-Middle")
	tExternalRemote   = tech("T1133", "External Remote Services")
	tCloudGroups      = sub("T1069", "Permission Groups Discovery", "T1069.003", "Cloud Groups")
	tCloudAccount     = sub("T1087", "Account Discovery", "T1087.004", "Cloud Account")
	tIndicatorRemoval = tech("T1070", "Indicator Removal")
	tDataDestruction  = tech("T1485", "Data Destruction")
)

// reference is the ATT&CK page of a technique (its sub-technique's when
// given): rule.reference.
func reference(t Technique) string {
	if t.SubID != "" {
		return "https://attack.mitre.org/techniques/" + t.ID + "/" + t.SubID[len(t.ID)+1:] + "/"
	}
	return "https://attack.mitre.org/techniques/" + t.ID + "/"
}
