package qabot

import (
	"reflect"
	"strings"
	"testing"
)

func TestItemTagsSpellTheAttributeNames(t *testing.T) {
	want := []string{
		AttrItemID, AttrContext, AttrQuestion, AttrStatus, AttrAnswer, AttrScore, AttrAnswerStart, AttrAnswerEnd,
		AttrError, AttrCreatedAt, AttrStartedAt, AttrFinishedAt, AttrAnswerMs, AttrModelLoadMs,
	}
	typ := reflect.TypeOf(Item{})
	if typ.NumField() != len(want) {
		t.Fatalf("Item has %d fields, %d attribute names", typ.NumField(), len(want))
	}
	for i, name := range want {
		for _, key := range []string{"dynamodbav", "json"} {
			tag, _, _ := strings.Cut(typ.Field(i).Tag.Get(key), ",")
			if tag != name {
				t.Errorf("field %s has %s name %q, the contract says %q", typ.Field(i).Name, key, tag, name)
			}
		}
	}
}

func TestParseItemIDs(t *testing.T) {
	got := ParseItemIDs(" a, b,,a , c ,")
	if !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("ParseItemIDs = %q", got)
	}
	if got := ParseItemIDs(" , "); got != nil {
		t.Errorf("ParseItemIDs(blank) = %q, want none", got)
	}
}

func TestParameterNamesAreUnderTheStackPath(t *testing.T) {
	seen := map[string]bool{}
	for _, leaf := range Parameters() {
		name := ParameterName(leaf)
		if !strings.HasPrefix(name, "/EcsClusterQaBot/") || seen[name] {
			t.Errorf("parameter %q is not a unique name under /EcsClusterQaBot/", name)
		}
		seen[name] = true
	}
	if len(seen) != 9 {
		t.Errorf("%d parameters, want 9", len(seen))
	}
}

func TestLogStreamOfATask(t *testing.T) {
	arn := "arn:aws:ecs:ap-northeast-1:123456789012:task/EcsClusterQaBot-Cluster/0123456789abcdef"
	if got := LogStreamName("EcsClusterQaBot", "EcsClusterQaBot-Container", TaskID(arn)); got != "EcsClusterQaBot/EcsClusterQaBot-Container/0123456789abcdef" {
		t.Errorf("LogStreamName = %q", got)
	}
}
