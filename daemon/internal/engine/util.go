package engine

import "time"

func unixMilli(ms uint64) time.Time { return time.UnixMilli(int64(ms)) }
