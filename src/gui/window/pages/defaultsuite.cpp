#include "gui/window/pages/sweepworker.h"

// The shipped prompt suite, resources/suites/default.jsonl, compiled in so a sweep runs on a fresh
// machine with nothing but the executable. tests/gui/sweeps_test.cpp checks it equals the file.
namespace tempo::gui {

const char* defaultSuiteText()
{
    return R"SUITE(
{"category": "narrative", "prompt": "The old lighthouse keeper climbed the stairs and"}
{"category": "narrative", "prompt": "When the storm finally passed, the village"}
{"category": "narrative", "prompt": "She opened the letter and"}
{"category": "factual", "prompt": "The capital of France is"}
{"category": "factual", "prompt": "Water boils at a temperature of"}
{"category": "factual", "prompt": "The largest planet in the solar system is"}
{"category": "technical", "prompt": "To sort a list in Python, you can"}
{"category": "technical", "prompt": "A hash table stores keys and values by"}
{"category": "technical", "prompt": "The transformer architecture uses attention to"}
{"category": "conversational", "prompt": "Hi! How are you doing"}
{"category": "conversational", "prompt": "Thanks for your help yesterday, I really"}
{"category": "conversational", "prompt": "Could you tell me where the"}
{"category": "simple", "prompt": "The cat sat on the"}
{"category": "simple", "prompt": "The quick brown"}
{"category": "simple", "prompt": "I like to eat"}
{"category": "complex", "prompt": "Although the committee had rejected the proposal twice, its authors argued that"}
{"category": "complex", "prompt": "If the measurements are correct and the model is well specified, then the discrepancy"}
{"category": "complex", "prompt": "The relationship between entropy and information, as Shannon showed,"}
{"category": "scripture", "prompt": "And the LORD spake unto Moses, saying,"}
{"category": "scripture", "prompt": "In the beginning God created"}
{"category": "scripture", "prompt": "And it came to pass, when the king"}
{"category": "scripture", "prompt": "Blessed are the"}
{"category": "scripture", "prompt": "The word of the LORD came unto"}
)SUITE" + 1; // + 1 skips the newline after the delimiter
}

} // namespace tempo::gui
