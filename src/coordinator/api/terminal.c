/* terminal.c: the phone terminal page and its error page (see terminal.h). The page is a few
 * kilobytes of HTML, CSS and JS held in string pieces (each under C's 4095-character literal
 * limit); untrusted text (the network's name, the run's prompt) goes in HTML-escaped, and the
 * script only ever writes text with textContent. The script follows the network's event stream
 * for status (the lockout countdown), falls back to polling /status every 2 s while the stream
 * is down, and posts prompts with fetch(). Pure: common/buf only. */
#include "terminal.h"

#include <string.h>

static const char style[] =
    "<style>*{box-sizing:border-box}"
    "html,body{margin:0;background:#18181b;color:#d8b4fe;font-family:ui-monospace,"
    "'Departure Mono',SFMono-Regular,Menlo,Consolas,'Liberation Mono','DejaVu Sans Mono',"
    "monospace;font-size:18px;line-height:1.4}"
    "main{max-width:40rem;margin:0 auto;padding:1.25rem}"
    "h1{font-size:1rem;margin:0 0 1.5rem;overflow-wrap:anywhere}h1 b{color:#f43f5e}"
    ".l{opacity:.75;font-size:.85rem;margin:0}"
    "#prompt{font-size:1.2rem;margin:.25rem 0 1.5rem;overflow-wrap:anywhere;white-space:pre-wrap}"
    "form{display:flex;flex-direction:column;gap:.6rem}"
    "input{font:inherit;color:#d8b4fe;background:#27272a;border:2px solid #3f3f46;"
    "border-radius:0;padding:.75rem;width:100%}"
    "input:focus{outline:none;border-color:#f43f5e}input:disabled{opacity:.6}"
    "button{font:inherit;font-weight:bold;color:#18181b;background:#f43f5e;border:0;"
    "padding:.75rem;cursor:pointer}"
    "button:disabled{background:#4c0519;color:#d8b4fe;cursor:default}"
    "#count,#msg{min-height:1.4em;margin:.75rem 0 0}.bad{color:#f43f5e}a{color:#f43f5e}"
    "#models{margin:.25rem 0 0;padding-left:1.5rem}#models li{margin:0 0 .6rem}"
    "#models span{display:block;opacity:.75;font-size:.85rem}"
    "</style>";

static const char head[] = "<!doctype html><html lang=en><head><meta charset=utf-8>"
                           "<meta name=viewport content=\"width=device-width,initial-scale=1\">"
                           "<meta name=referrer content=no-referrer><title>PANIC! ";

/* The body's data-* attributes are filled in between these pieces. */
static const char form[] = "<p class=l>Current run:</p><p id=prompt>";

static const char form2[] =
    "</p><form id=f><label class=l for=in>Prompt</label>"
    "<input id=in name=prompt maxlength=1000 autocomplete=off autocapitalize=off "
    "enterkeyhint=send placeholder=\"Ready for new input\">"
    "<button id=go type=submit>PANIC!</button></form>"
    "<p id=count></p><p id=msg role=status aria-live=polite></p></main>";

static const char script1[] =
    "<script>(function(){'use strict';"
    "var EXP='" TERMINAL_EXPIRED_TEXT "';"
    "var B=document.body,D=B.dataset,api='/api/v1/networks/'+D.network;"
    "function $(i){return document.getElementById(i)}"
    "var inp=$('in'),go=$('go'),cnt=$('count'),msg=$('msg'),pr=$('prompt');"
    "var readyAt=Date.now()+1000*(+D.ready||0),run=+D.run||0,busy=false,dead=false,es=null;"
    "function say(t,bad){msg.className=bad?'bad':'';msg.textContent=t}"
    "function secs(n){return n+(n==1?' second':' seconds')}"
    "function tick(){var left=Math.ceil((readyAt-Date.now())/1000),was=inp.disabled;"
    "if(dead){inp.disabled=go.disabled=true;cnt.textContent='';return}"
    "if(left>0){var t=secs(left)+' until ready for new input';inp.disabled=go.disabled=true;"
    "inp.placeholder=t;cnt.textContent=t;return}"
    "inp.placeholder='Ready for new input';cnt.textContent='';"
    "inp.disabled=go.disabled=busy;if(was&&!busy)inp.focus()}"
    "function current(){fetch(api+'/runs/current?limit=1').then(function(r){return r.json()})"
    ".then(function(j){if(j&&j.run&&typeof j.run.prompt=='string'){pr.textContent=j.run.prompt;"
    "run=j.run.id}}).catch(function(){})}"
    "function status(s){if(!s||typeof s!='object')return;"
    "readyAt=Date.now()+1000*(s.lockout_remaining_s||0);"
    "if(s.run&&s.run!=run){run=s.run;current()}tick()}"
    "function fetchStatus(){fetch(api+'/status').then(function(r){return r.json()})"
    ".then(status).catch(function(){})}"
    "function poll(){if(!es||es.readyState!=1)fetchStatus()}"
    "function stream(){if(!window.EventSource)return;es=new EventSource(api+'/events');"
    "es.addEventListener('status',function(e){try{status(JSON.parse(e.data))}catch(x){}})}"
    /* A page put away (another app, the back button) must not keep its stream: browsers allow a
     * handful of connections per host. */
    "stream();addEventListener('pagehide',function(){if(es){es.close();es=null}});"
    "addEventListener('pageshow',function(e){if(e.persisted&&!es){stream();fetchStatus()}});";

static const char script2[] =
    "function answer(s,j,p){busy=false;"
    "if(s==201){inp.value='';pr.textContent=p;run=j.run||run;"
    "say('Your prompt started a new run. Watch the screens!');fetchStatus()}"
    "else if(s==409){var w=j.retry_after_s||1;readyAt=Date.now()+1000*w;"
    "say('A run has just started: your prompt was not sent. Try again in '+secs(w)+'.',true)}"
    "else if(s==422)say(j.message||'That prompt was not accepted.',true);"
    "else if(s==429)say('Too many prompts from this phone: try again in '+"
    "secs(j.retry_after_s||10)+'.',true);"
    "else if(s==401){dead=true;say(EXP,true)}"
    "else if(s==403){dead=true;say(j.message||EXP,true)}"
    "else say((j.message||'Something went wrong')+' (HTTP '+s+'). Try again.',true);tick()}"
    "$('f').addEventListener('submit',function(e){e.preventDefault();var p=inp.value;"
    "if(busy||dead||inp.disabled)return;"
    "if(!p.trim()){say('Your prompt is empty',true);return}"
    "busy=true;tick();say('Sending\\u2026');"
    "fetch(api+'/runs',{method:'POST',headers:{'Content-Type':'application/json',"
    "'Authorization':'Bearer '+D.token},body:JSON.stringify({prompt:p})})"
    ".then(function(r){return r.json().catch(function(){return{}})"
    ".then(function(j){answer(r.status,j||{},p)})})"
    ".catch(function(){busy=false;say('Could not reach PANIC! Check the Wi-Fi and try again.',"
    "true);tick()})});"
    "setInterval(poll,2000);setInterval(tick,250);tick()})()</script></body></html>";

void html_escape(struct buf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        const char *start = p;
        while (*p && !strchr("&<>\"'", *p))
            p++;
        if (p > start)
            buf_append(b, start, (size_t)(p - start));
        if (!*p)
            break;
        switch (*p) {
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        default:
            buf_puts(b, "&#39;");
            break;
        }
    }
}

void terminal_page(struct buf *b, const struct terminal_view *v)
{
    buf_puts(b, head);
    html_escape(b, v->name);
    buf_puts(b, "</title>");
    buf_puts(b, style);
    buf_printf(b, "</head><body data-network=\"%lld\" data-run=\"%lld\" data-ready=\"%lld\" ",
               (long long)v->network, (long long)v->run, (long long)v->lockout_s);
    buf_puts(b, "data-token=\"");
    html_escape(b, v->token);
    buf_puts(b, "\"><main><h1><b>PANIC!</b> <span id=name>");
    html_escape(b, v->name);
    buf_puts(b, "</span></h1>");
    buf_puts(b, form);
    if (v->prompt)
        html_escape(b, v->prompt);
    else
        buf_puts(b, "(no run yet: yours could be the first)");
    buf_puts(b, form2);
    /* What the network's models do, so a visitor knows where their words go. */
    if (v->nmodels > 0) {
        buf_puts(b, "<section><p class=l>Where your words go:</p><ol id=models>");
        for (int i = 0; i < v->nmodels && i < TERMINAL_MODELS_MAX; i++) {
            buf_puts(b, "<li><b>");
            html_escape(b, v->models[i].name ? v->models[i].name : "?");
            buf_puts(b, "</b>");
            if (v->models[i].description && v->models[i].description[0]) {
                buf_puts(b, "<span>");
                html_escape(b, v->models[i].description);
                buf_puts(b, "</span>");
            }
            buf_puts(b, "</li>");
        }
        buf_puts(b, "</ol></section>");
    }
    buf_puts(b, script1);
    buf_puts(b, script2);
}

void terminal_message_page(struct buf *b, const char *title, const char *text)
{
    buf_puts(b, head);
    html_escape(b, title);
    buf_puts(b, "</title>");
    buf_puts(b, style);
    buf_puts(b, "</head><body><main><h1><b>PANIC!</b> ");
    html_escape(b, title);
    buf_puts(b, "</h1><p id=msg>");
    html_escape(b, text);
    buf_puts(b, "</p></main></body></html>");
}
