; Everything the per-file facts need, in one pass of the query engine (C), so no Python code walks
; the whole tree. Module-level statements are read from the root's direct children instead.

[
  (function_declaration)
  (generator_function_declaration)
  (function_expression)
  (generator_function)
  (arrow_function)
  (method_definition)
] @function

(call_expression) @call

(new_expression) @new

(comment) @comment

(throw_statement) @throw

(member_expression
  object: (member_expression
    object: (identifier) @_process
    property: (property_identifier) @_env)
  property: (property_identifier) @env
  (#eq? @_process "process")
  (#eq? @_env "env"))
