/* SPDX-License-Identifier: Apache-2.0 */
/* i18n.c — the message catalogues (web/i18n/<area>.<lang>.json) merged per language. */
#include "i18n.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_LANGS 8

static struct {
    char lang[TT_I18N_LANG_MAX];
    json_t *texts; /* key -> string, every area merged */
} langs[MAX_LANGS];
static int n_langs;

static json_t *texts_of(const char *lang)
{
    for (int i = 0; i < n_langs; i++)
        if (strcmp(langs[i].lang, lang) == 0)
            return langs[i].texts;
    return NULL;
}

void tt_i18n_unload(void)
{
    for (int i = 0; i < n_langs; i++)
        json_decref(langs[i].texts);
    n_langs = 0;
}

/* "consent.fr.json" → lang "fr"; 0 or -1 when the name is not area.lang.json */
static int lang_of(const char *name, char lang[TT_I18N_LANG_MAX])
{
    size_t n = strlen(name);
    if (n < 8 || strcmp(name + n - 5, ".json") != 0)
        return -1;
    const char *end = name + n - 5, *dot = end;
    while (dot > name && dot[-1] != '.')
        dot--;
    if (dot == name || end - dot < 2 || end - dot >= TT_I18N_LANG_MAX)
        return -1;
    for (const char *p = dot; p < end; p++)
        if (*p < 'a' || *p > 'z')
            return -1;
    memcpy(lang, dot, (size_t)(end - dot));
    lang[end - dot] = '\0';
    return 0;
}

int tt_i18n_load(const char *dir, char *err, size_t err_size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/i18n", dir);
    DIR *d = opendir(path);
    if (!d) {
        snprintf(err, err_size, "no catalogue folder %s", path);
        return -1;
    }
    tt_i18n_unload();
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char lang[TT_I18N_LANG_MAX];
        if (e->d_name[0] == '.' || lang_of(e->d_name, lang) != 0)
            continue;
        char file[1400];
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        json_error_t je;
        json_t *obj = json_load_file(file, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(obj)) {
            snprintf(err, err_size, "%s:%d: %s", file, je.line,
                     obj ? "a catalogue is a JSON object" : je.text);
            json_decref(obj);
            closedir(d);
            tt_i18n_unload();
            return -1;
        }
        json_t *texts = texts_of(lang);
        if (!texts) {
            if (n_langs == MAX_LANGS) {
                json_decref(obj);
                continue;
            }
            snprintf(langs[n_langs].lang, sizeof langs[n_langs].lang, "%s", lang);
            texts = langs[n_langs++].texts = json_object();
        }
        json_object_update(texts, obj);
        json_decref(obj);
        files++;
    }
    closedir(d);
    return files;
}

const char *tt_i18n(const char *lang, const char *key)
{
    json_t *t = lang ? texts_of(lang) : NULL;
    const char *s = t ? json_string_value(json_object_get(t, key)) : NULL;
    if (!s && (t = texts_of("en")))
        s = json_string_value(json_object_get(t, key));
    return s ? s : key;
}

int tt_i18n_supported(const char *lang)
{
    return lang && texts_of(lang) != NULL;
}

void tt_i18n_pick(const char *explicit_lang, const char *accept_language,
                  char out[TT_I18N_LANG_MAX])
{
    if (explicit_lang && strlen(explicit_lang) < TT_I18N_LANG_MAX &&
        tt_i18n_supported(explicit_lang)) {
        snprintf(out, TT_I18N_LANG_MAX, "%s", explicit_lang);
        return;
    }
    /* Accept-Language: "fr-CH, fr;q=0.9, en;q=0.8" — the first supported primary tag by
     * order of preference (q values in descending order is what browsers send) */
    const char *p = accept_language;
    double best_q = -1;
    char best[TT_I18N_LANG_MAX] = "en";
    while (p && *p) {
        while (*p == ' ' || *p == ',')
            p++;
        char tag[TT_I18N_LANG_MAX] = "";
        size_t n = 0;
        while (*p && *p != ',' && *p != ';' && *p != '-' && *p != ' ') {
            if (n + 1 < sizeof tag)
                tag[n++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
            p++;
        }
        tag[n] = '\0';
        double q = 1.0;
        while (*p && *p != ',') {
            if (*p == ';' && strncasecmp(p, ";q=", 3) == 0) {
                if (sscanf(p + 3, "%lf", &q) != 1)
                    q = 0;
            }
            p++;
        }
        if (n && q > best_q && tt_i18n_supported(tag)) {
            best_q = q;
            snprintf(best, sizeof best, "%s", tag);
        }
    }
    snprintf(out, TT_I18N_LANG_MAX, "%s", best);
}
