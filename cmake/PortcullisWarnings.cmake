# portcullis_warnings(target): the project's warning set (CONVENTIONS.md "Warnings").
function(portcullis_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast)
  if(PORTCULLIS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# portcullis_module(name SOURCES ... DEPS ...): one library per module, alias portcullis::<name>.
function(portcullis_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_SOURCES)
    # A module with no sources yet: headers only.
    add_library(portcullis_${name} INTERFACE)
    add_library(portcullis::${name} ALIAS portcullis_${name})
    target_include_directories(portcullis_${name} INTERFACE ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(portcullis_${name} INTERFACE ${ARG_DEPS})
    return()
  endif()
  add_library(portcullis_${name} STATIC ${ARG_SOURCES})
  add_library(portcullis::${name} ALIAS portcullis_${name})
  target_include_directories(portcullis_${name}
    PUBLIC ${PROJECT_SOURCE_DIR}/include
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(portcullis_${name} PUBLIC ${ARG_DEPS})
  portcullis_warnings(portcullis_${name})
endfunction()

# portcullis_test(name SOURCES ... DEPS ... LABEL unit|integration|e2e): a Catch2 v2 test binary.
function(portcullis_test name)
  cmake_parse_arguments(ARG "" "LABEL" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_LABEL)
    set(ARG_LABEL unit)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} Catch2::Catch2WithMain)
  portcullis_warnings(${name})
  # One build target per label (tests_unit, tests_integration, ...), so a CI stage builds only
  # the tests it runs.
  if(NOT TARGET tests_${ARG_LABEL})
    add_custom_target(tests_${ARG_LABEL})
  endif()
  add_dependencies(tests_${ARG_LABEL} ${name})
  catch_discover_tests(${name}
    PROPERTIES LABELS ${ARG_LABEL}
    EXTRA_ARGS --rng-seed 20261127)
endfunction()
