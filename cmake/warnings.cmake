# One interface target carries the project's warning set and sanitizer flags; every target of
# ours links it (see STYLE.md, "Build").
add_library(rt_warnings INTERFACE)
target_compile_options(rt_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
    -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Wundef -Wcast-qual
    -Wwrite-strings -Wimplicit-fallthrough)
if(RT_WERROR)
    target_compile_options(rt_warnings INTERFACE -Werror)
endif()
target_compile_definitions(rt_warnings INTERFACE _POSIX_C_SOURCE=200809L _DEFAULT_SOURCE)
if(RT_SANITIZE)
    target_compile_options(rt_warnings INTERFACE -fsanitize=${RT_SANITIZE} -fno-omit-frame-pointer
        -fno-sanitize-recover=all)
    target_link_options(rt_warnings INTERFACE -fsanitize=${RT_SANITIZE})
endif()
