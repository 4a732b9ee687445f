// Package bashoutter is the contract of hands-on #6 (Bashoutter): what the stack
// (stacks/bashoutter.go), the API that runs in Lambda (handson/bashoutter/api), the
// web page and the client (cmd/bashoutter) must agree on: the stack's outputs, the
// routes and their answers, the stage's throttling, the page sizes and the table's
// shape. Why it lives in handson/contracts: see handson/contracts/doc.go.
package bashoutter

import "net/http"

// StackName is the course's stack name.
const StackName = "Bashoutter"

// The stack's outputs the client and the page read (this hands-on publishes no SSM
// parameters: the page needs the API's URL at a public address anyway).
const (
	OutputApiUrl  = "ApiUrl"  // the HTTP API's base URL
	OutputSiteUrl = "SiteUrl" // the page, behind CloudFront
)

// The routes of the HTTP API, as API Gateway names them in the event's RouteKey. The
// stack creates exactly these routes.
const (
	RouteList   = "GET /haiku"
	RoutePost   = "POST /haiku"
	RouteLike   = "PATCH /haiku/{item_id}"
	RouteDelete = "DELETE /haiku/{item_id}"
)

// Routes lists every route in the order of the course.
var Routes = []string{RouteList, RoutePost, RouteLike, RouteDelete}

// CORS: which request headers and methods a browser may use. The allowed origin is the
// site's own (CloudFront in AWS, localhost in the local mode), set where each runs.
var (
	CorsAllowHeaders = []string{"content-type"}
	CorsAllowMethods = []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete}
)

// The API stage's throttling: requests per second on average and in a burst. A runaway
// loop is answered 429 instead of running up Lambda and DynamoDB charges. The stack
// sets them on the stage; the local mode applies them too.
const (
	StageRateLimit  = 10
	StageBurstLimit = 20
)

// Page sizes of GET /haiku.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// The table's shape, shared by the stack, the API and the tests.
const (
	// PartitionKey is the table's key, as in the course.
	PartitionKey = "item_id"
	// NewestFirstIndex is a global secondary index that lists every haiku by creation
	// time: its partition key FeedAttribute holds the same value on every item, its sort
	// key is CreatedAtAttribute. A Query on it returns pages in order, which a Scan
	// (the course's GET) cannot do.
	NewestFirstIndex   = "NewestFirst"
	FeedAttribute      = "feed"
	CreatedAtAttribute = "created_at"
)

// Haiku is one item of the table, as the API returns it (the course's fields).
type Haiku struct {
	ItemID    string `json:"item_id"`
	Username  string `json:"username"`
	First     string `json:"first"`
	Second    string `json:"second"`
	Third     string `json:"third"`
	Likes     int64  `json:"likes"`
	CreatedAt string `json:"created_at"`
}

// Page is one page of GET /haiku, newest first. Next is empty on the last page; pass
// it back as ?next= for the following one.
type Page struct {
	Items []Haiku `json:"items"`
	Next  string  `json:"next,omitempty"`
}
