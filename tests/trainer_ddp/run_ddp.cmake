# Runs two data-parallel ranks (c10d Gloo over loopback TCP) with batch B and one process with
# batch 2B, then compares the trained projectors.
# Arguments: -DWORKER=... -DDATA=... -DWORK_DIR=... -DPORT=...
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(steps 6)
# Both ranks start together; execute_process runs the commands of one call concurrently.
execute_process(
  COMMAND ${WORKER} train 0 2 ${PORT} 8 ${steps} ${DATA} ${WORK_DIR}/ddp.safetensors
  COMMAND ${WORKER} train 1 2 ${PORT} 8 ${steps} ${DATA} ${WORK_DIR}/unused.safetensors
  RESULTS_VARIABLE rcs TIMEOUT 600)
if(NOT rcs STREQUAL "0;0")
  message(FATAL_ERROR "ranks failed: ${rcs}")
endif()
execute_process(COMMAND ${WORKER} train 0 1 ${PORT} 16 ${steps} ${DATA} ${WORK_DIR}/single.safetensors
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "single process failed: ${rc}")
endif()
execute_process(COMMAND ${WORKER} compare ${WORK_DIR}/ddp.safetensors ${WORK_DIR}/single.safetensors 1e-5
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "data-parallel result differs from the single-process one")
endif()
