package edge

// EventBufferSize is the kernel's event queue for the line: 1024 edges, about
// 15 NEC frames, instead of the default 16 (which a busy Pi overruns).
const EventBufferSize = 1024

// newLineRequest fills gpio_v2_line_request for one input line with both
// edges and the pull-up.
func newLineRequest(l Line) lineRequest {
	var req lineRequest
	req.Offsets[0] = uint32(l.Offset)
	consumer := l.Consumer
	if consumer == "" {
		consumer = "atomicbox-ir"
	}
	copy(req.Consumer[:gpioMaxNameSize-1], consumer)
	req.Config.Flags = lineFlagInput | lineFlagEdgeRising | lineFlagEdgeFalling | lineFlagBiasPullUp
	req.NumLines = 1
	req.EventBufferSize = EventBufferSize
	return req
}
