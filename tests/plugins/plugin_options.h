/* Minimal readers for the flat JSON objects that test plugins receive as options_json, e.g.
 * {"nan_every": 50, "mode": "error"}. Not a JSON parser: a key is found by its quoted name
 * anywhere in the text, which is enough for the flat objects the tests pass. */
#ifndef RLFLEET_TESTS_PLUGINS_PLUGIN_OPTIONS_H_
#define RLFLEET_TESTS_PLUGINS_PLUGIN_OPTIONS_H_

#include <stdlib.h>
#include <string.h>

/* Points past the ':' that follows "key", skipping blanks; NULL when the key is absent. */
static inline const char* plugin_option_value(const char* json, const char* key) {
  size_t key_length = strlen(key);
  const char* p = json;
  if (json == NULL) return NULL;
  while ((p = strchr(p, '"')) != NULL) {
    const char* name = p + 1;
    if (strncmp(name, key, key_length) == 0 && name[key_length] == '"') {
      const char* q = name + key_length + 1;
      while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') ++q;
      if (*q != ':') return NULL;
      ++q;
      while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') ++q;
      return q;
    }
    p = name;
  }
  return NULL;
}

/* The integer value of "key", or `fallback` when it is absent or not an integer. */
static inline long plugin_option_long(const char* json, const char* key, long fallback) {
  const char* value = plugin_option_value(json, key);
  char* end = NULL;
  long result;
  if (value == NULL) return fallback;
  result = strtol(value, &end, 10);
  return end == value ? fallback : result;
}

/* Copies the string value of "key" into out (at most size - 1 characters); 0 when absent. */
static inline int plugin_option_string(const char* json, const char* key, char* out, size_t size) {
  const char* value = plugin_option_value(json, key);
  size_t n = 0;
  if (value == NULL || *value != '"' || size == 0) return 0;
  ++value;
  while (value[n] != '\0' && value[n] != '"' && n + 1 < size) {
    out[n] = value[n];
    ++n;
  }
  out[n] = '\0';
  return 1;
}

#endif /* RLFLEET_TESTS_PLUGINS_PLUGIN_OPTIONS_H_ */
