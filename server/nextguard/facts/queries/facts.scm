; Everything the per-file facts need, in one pass of the query engine (C), so no Python code walks
; the whole tree. Module-level statements are read from the root's direct children instead; what a
; capture means in context (is a call tested, returned, a statement of its own?) is read by short
; walks up from the captured node.

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

; Variable declarators inside functions: what a local name holds (`const session = await auth()`).
(variable_declarator) @local
; ... and a statement that assigns one later (`let board; … board = await db.board.update(…)`).
(expression_statement (assignment_expression left: (identifier) right: (_)) @local)

; What decides a branch, and what is returned: a read of a local inside one is tested / returned.
(if_statement condition: (_) @cond)
(while_statement condition: (_) @cond)
(do_statement condition: (_) @cond)
(for_statement condition: (_) @cond)
(ternary_expression condition: (_) @cond)
(switch_statement value: (_) @cond)
(binary_expression left: (_) @cond operator: ["&&" "||"])
(return_statement) @return
