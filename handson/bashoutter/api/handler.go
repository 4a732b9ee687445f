// Package api is Bashoutter's HTTP API: the handler behind API Gateway's GET/POST
// /haiku and PATCH/DELETE /haiku/{item_id}, and the DynamoDB table it uses. It is plain
// Go: the Lambda binary (../lambda), the local mode (../local) and the tests all call
// the same Handler.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log"
	"net/http"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/intro-aws-go/intro-aws-go/handson/bashoutter/haiku"
	"github.com/intro-aws-go/intro-aws-go/handson/contracts/bashoutter"
)

// Handler answers API Gateway HTTP API (payload 2.0) events for every route. In AWS,
// each route has a function of its own whose role allows only that route's DynamoDB
// call; they all run this code.
type Handler struct {
	Store *Store
	// Logf records server-side failures; log.Printf when nil.
	Logf func(format string, args ...any)
}

// Handle dispatches on the event's route. It never returns an error: every outcome is
// an HTTP response, so API Gateway never turns a failure into a bare 500.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	switch req.RouteKey {
	case bashoutter.RouteList:
		return h.list(ctx, req), nil
	case bashoutter.RoutePost:
		return h.post(ctx, req), nil
	case bashoutter.RouteLike:
		return h.like(ctx, req), nil
	case bashoutter.RouteDelete:
		return h.delete(ctx, req), nil
	default:
		return message(http.StatusNotFound, "no route "+req.RouteKey+"; the routes are GET/POST /haiku and PATCH/DELETE /haiku/{item_id}"), nil
	}
}

// GET /haiku?limit=20&next=TOKEN → 200 {"items": [...], "next": "TOKEN"}
func (h *Handler) list(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	limit := bashoutter.DefaultPageSize
	if v, ok := req.QueryStringParameters["limit"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > bashoutter.MaxPageSize {
			return message(http.StatusBadRequest, "limit must be a whole number from 1 to "+strconv.Itoa(bashoutter.MaxPageSize))
		}
		limit = n
	}
	page, err := h.Store.List(ctx, limit, req.QueryStringParameters["next"])
	if err != nil {
		return h.failure(err)
	}
	return jsonResponse(http.StatusOK, page)
}

// POST /haiku {"username","first","second","third"} → 201 with the new item.
func (h *Handler) post(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	n, err := haiku.ParsePost(req.Body, req.IsBase64Encoded)
	if err != nil {
		return h.failure(err)
	}
	item, err := h.Store.Add(ctx, n)
	if err != nil {
		return h.failure(err)
	}
	return jsonResponse(http.StatusCreated, item)
}

// PATCH /haiku/{item_id} → 200 {"item_id", "likes"}, or 404.
func (h *Handler) like(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	id, err := itemID(req)
	if err != nil {
		return h.failure(err)
	}
	likes, err := h.Store.Like(ctx, id)
	if err != nil {
		return h.failure(err)
	}
	return jsonResponse(http.StatusOK, map[string]any{"item_id": id, "likes": likes})
}

// DELETE /haiku/{item_id} → 204 with no body, or 404.
func (h *Handler) delete(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	id, err := itemID(req)
	if err != nil {
		return h.failure(err)
	}
	if err := h.Store.Delete(ctx, id); err != nil {
		return h.failure(err)
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusNoContent}
}

func itemID(req events.APIGatewayV2HTTPRequest) (string, error) {
	id := req.PathParameters["item_id"]
	if !itemIDPattern.MatchString(id) {
		return "", haiku.BadRequest("item_id %q is not an id from this API (letters, digits, - and _, at most 64)", truncate(id, 80))
	}
	return id, nil
}

// StatusOf is the HTTP status the API answers for an error: 400 for bad input, 404 for
// a missing item, 500 for everything else (DynamoDB failing or refusing).
func StatusOf(err error) int {
	var bad *haiku.BadRequestError
	switch {
	case errors.As(err, &bad):
		return http.StatusBadRequest
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	default:
		return http.StatusInternalServerError
	}
}

func (h *Handler) failure(err error) events.APIGatewayV2HTTPResponse {
	status := StatusOf(err)
	if status != http.StatusInternalServerError {
		return message(status, err.Error())
	}
	logf := h.Logf
	if logf == nil {
		logf = log.Printf
	}
	logf("error: %v", err) // the details go to CloudWatch Logs, not to the browser
	return message(status, "internal error; the function's log has the details")
}

func message(status int, text string) events.APIGatewayV2HTTPResponse {
	return jsonResponse(status, map[string]string{"message": text})
}

func jsonResponse(status int, v any) events.APIGatewayV2HTTPResponse {
	body, _ := json.Marshal(v) // only maps, bashoutter.Page and bashoutter.Haiku: cannot fail
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json; charset=utf-8"},
		Body:       string(body),
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
