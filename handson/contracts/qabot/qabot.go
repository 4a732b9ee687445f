// Package qabot is the contract of hands-on #3 (EcsClusterQaBot): the names that the
// stack (stacks/ecsclusterqabot.go), the worker that runs in the Fargate task
// (handson/qabot/worker) and the client (cmd/runtask) must agree on. Nothing here
// talks to AWS; change a name here and all three follow. Why it lives in
// handson/contracts: see handson/contracts/doc.go.
//
// The flow, as in the course but without its 8 KiB limit: the client puts an item
// {item_id, context, question, status: pending} into the table, starts one task with
// ITEM_IDS=<id>[,<id>...] in the container's environment, and waits for the task to
// stop. The worker reads each item, answers it, and writes the answer back with
// status done, or status failed and the reason in error.
package qabot

import (
	"strings"
)

// StackName is the CloudFormation stack of this hands-on (the course's name).
const StackName = "EcsClusterQaBot"

// ParameterPrefix is the SSM path under which the stack publishes what the client
// needs. The course put its parameters at the account root, where TABLE_NAME clashed
// between hands-ons; here every name is under the stack's own path.
const ParameterPrefix = "/" + StackName + "/"

// SSM String parameter leaf names (the course's names where it had one).
const (
	ParamClusterName       = "ECS_CLUSTER_NAME"           // the ECS cluster to run tasks in
	ParamTaskDefinitionArn = "ECS_TASK_DEFINITION_ARN"    // the worker's task definition
	ParamContainerName     = "CONTAINER_NAME"             // the container to give ITEM_IDS to
	ParamSubnet1           = "ECS_TASK_VPC_SUBNET_1"      // public subnet (tasks get a public IP; there is no NAT)
	ParamSecurityGroupID   = "ECS_TASK_SECURITY_GROUP_ID" // egress-only group for the task
	ParamTableName         = "TABLE_NAME"                 // the DynamoDB table of questions and answers
	ParamLogGroupName      = "LOG_GROUP_NAME"             // CloudWatch Logs group of the worker
	ParamLogStreamPrefix   = "LOG_STREAM_PREFIX"          // stream = <prefix>/<container name>/<task id>
	// ParamCapacityProvider is FARGATE (arm64 image, the default) or FARGATE_SPOT
	// (x86_64 image, deployed with -c spot=true: Fargate Spot runs no arm64 tasks).
	ParamCapacityProvider = "CAPACITY_PROVIDER"
)

// Parameters lists every leaf name the stack publishes, in a stable order.
func Parameters() []string {
	return []string{
		ParamClusterName, ParamTaskDefinitionArn, ParamContainerName, ParamSubnet1,
		ParamSecurityGroupID, ParamTableName, ParamLogGroupName, ParamLogStreamPrefix,
		ParamCapacityProvider,
	}
}

// ParameterName is the full SSM name of a leaf, e.g. /EcsClusterQaBot/TABLE_NAME.
func ParameterName(leaf string) string { return ParameterPrefix + leaf }

// LogStreamName is the CloudWatch Logs stream of one task's worker output, as the
// awslogs driver names it.
func LogStreamName(prefix, container, taskID string) string {
	return prefix + "/" + container + "/" + taskID
}

// TaskID is the last part of a task ARN (arn:aws:ecs:region:account:task/cluster/ID).
func TaskID(taskArn string) string {
	return taskArn[strings.LastIndex(taskArn, "/")+1:]
}

// Capacity providers the client may name in RunTask.
const (
	CapacityFargate     = "FARGATE"
	CapacityFargateSpot = "FARGATE_SPOT"
)

// The worker's environment. The task definition sets all but EnvItemIDs; the client
// passes EnvItemIDs as a container override (a few ids, far below ECS's 8 KiB limit).
const (
	EnvTableName = "TABLE_NAME" // DynamoDB table name
	EnvItemIDs   = "ITEM_IDS"   // comma-separated item ids to answer, in order
	EnvModelDir  = "MODEL_DIR"  // directory with ModelFile and TokenizerFile
	// EnvORTLibrary is the path of ONNX Runtime's shared library
	// (libonnxruntime.so.1, API version matching github.com/yalue/onnxruntime_go).
	EnvORTLibrary = "ORT_LIBRARY_PATH"
	// EnvThreads is ONNX Runtime's intra-op thread count; unset or 0 lets it choose.
	EnvThreads = "ORT_INTRA_OP_THREADS"
)

// Files in the model directory: the ONNX export of
// distilbert-base-cased-distilled-squad and its Hugging Face tokenizer.json.
const (
	ModelFile     = "model.onnx"
	TokenizerFile = "tokenizer.json"
)

// Item attribute names. The client writes ItemID, Context, Question, Status
// (StatusPending) and CreatedAt; the worker writes everything else.
const (
	AttrItemID   = "item_id"  // partition key, string
	AttrContext  = "context"  // string: the text to find the answer in
	AttrQuestion = "question" // string
	AttrStatus   = "status"   // one of the Status values
	AttrAnswer   = "answer"   // string: a span of context
	AttrScore    = "score"    // number in (0, 1]: start × end probability of the span
	// AttrAnswerStart and AttrAnswerEnd: the answer is context[answer_start:answer_end],
	// counted in Unicode code points (Python's str indices, as the Hugging Face
	// pipeline reports them), not bytes.
	AttrAnswerStart = "answer_start"
	AttrAnswerEnd   = "answer_end"
	AttrError       = "error"         // string: why the item failed (status failed only)
	AttrCreatedAt   = "created_at"    // RFC 3339 UTC, written by the client
	AttrStartedAt   = "started_at"    // RFC 3339 UTC, the worker began this item
	AttrFinishedAt  = "finished_at"   // RFC 3339 UTC, the worker finished (done or failed)
	AttrAnswerMs    = "answer_ms"     // number: milliseconds spent answering this item
	AttrModelLoadMs = "model_load_ms" // number: milliseconds the task spent loading the model
)

// Status values of an item.
const (
	StatusPending = "pending" // written by the client before it starts the task
	StatusRunning = "running" // the worker is answering it
	StatusDone    = "done"    // answer, score and offsets are set
	StatusFailed  = "failed"  // error says why
)

// Item is one question and its answer as stored in the table. The dynamodbav tags
// spell the Attr constants (a test checks that they agree); the json tags, used by
// cmd/runtask --json, spell them too.
type Item struct {
	ItemID      string   `dynamodbav:"item_id" json:"item_id,omitempty"`
	Context     string   `dynamodbav:"context" json:"context,omitempty"`
	Question    string   `dynamodbav:"question" json:"question,omitempty"`
	Status      string   `dynamodbav:"status,omitempty" json:"status,omitempty"`
	Answer      string   `dynamodbav:"answer,omitempty" json:"answer,omitempty"`
	Score       *float64 `dynamodbav:"score,omitempty" json:"score,omitempty"`
	AnswerStart *int     `dynamodbav:"answer_start,omitempty" json:"answer_start,omitempty"`
	AnswerEnd   *int     `dynamodbav:"answer_end,omitempty" json:"answer_end,omitempty"`
	Error       string   `dynamodbav:"error,omitempty" json:"error,omitempty"`
	CreatedAt   string   `dynamodbav:"created_at,omitempty" json:"created_at,omitempty"`
	StartedAt   string   `dynamodbav:"started_at,omitempty" json:"started_at,omitempty"`
	FinishedAt  string   `dynamodbav:"finished_at,omitempty" json:"finished_at,omitempty"`
	AnswerMs    *int64   `dynamodbav:"answer_ms,omitempty" json:"answer_ms,omitempty"`
	ModelLoadMs *int64   `dynamodbav:"model_load_ms,omitempty" json:"model_load_ms,omitempty"`
}

// ParseItemIDs splits EnvItemIDs: comma-separated, blanks trimmed, empty entries and
// repeats dropped, order kept.
func ParseItemIDs(s string) []string {
	var ids []string
	seen := map[string]bool{}
	for _, id := range strings.Split(s, ",") {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	return ids
}

// The course's example (handson/qa-bot/README.md of learn-aws-by-coding): the README,
// the client's tests and the worker's tests all use it.
const (
	ExampleContext  = "A giant peach was flowing in the river. She picked it up and brought it home. Later, a healthy baby was born from the peach. She named the baby Momotaro."
	ExampleQuestion = "What is the name of the baby?"
	ExampleAnswer   = "Momotaro"
)
